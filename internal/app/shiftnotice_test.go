package app_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opsdesk/opsdesk/internal/app"
	"github.com/opsdesk/opsdesk/internal/app/apptest"
	"github.com/opsdesk/opsdesk/internal/auth"
	"github.com/opsdesk/opsdesk/internal/config"
	"github.com/opsdesk/opsdesk/internal/fake"
	"github.com/opsdesk/opsdesk/internal/store/storetest"
)

// TestShiftNoticeBySMS: with oncall.shift_notice 30m, the person whose
// shift starts in 20 minutes is told by SMS, in their language, once,
// however often the job runs.
func TestShiftNoticeBySMS(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			sms := fake.NewSMS(t)
			cfg, err := config.Parse([]byte(`
database: ` + storetest.DatabaseURL(t, engine) + `
data_dir: ` + t.TempDir() + `
log_level: error
oncall:
  shift_notice: 30m
  sms:
    region: ` + sms.Region() + `
  schedules:
    - name: platform
      time_zone: Asia/Tokyo
      layers:
        - {name: daily, participants: [sato, lee], shift: 1d, hand_off: "2026-02-23 09:00"}
  users:
    - name: lee
      contact_methods:
        - {kind: sms, address: "+819055550001", language: ja}
`))
			if err != nil {
				t.Fatal(err)
			}
			// 2026-02-24 08:20 in Tokyo, 40 minutes before lee comes on: the
			// job run at the start has nothing to say yet.
			base, started := time.Date(2026, 2, 23, 23, 20, 0, 0, time.UTC), time.Now()
			var skip atomic.Int64
			s := apptest.StartWith(t, cfg, map[string]string{
				"AWS_ENDPOINT_URL_PINPOINT_SMS_VOICE_V2": sms.URL(),
				"AWS_ACCESS_KEY_ID":                      fake.SMSAccessKeyID,
				"AWS_SECRET_ACCESS_KEY":                  fake.SMSSecretAccessKey,
			}, func(o *app.Options) {
				o.Now = func() time.Time { return base.Add(time.Duration(skip.Load()) + time.Since(started)) }
			})
			ctx := context.Background()
			if _, err := s.App.Auth.AddUser(ctx, "lee", auth.RoleResponder, "a long enough password"); err != nil {
				t.Fatal(err)
			}
			if _, err := s.App.Contacts.ApplyDeclared(ctx, cfg.OnCall.Users); err != nil {
				t.Fatal(err)
			}
			skip.Store(int64(20 * time.Minute)) // 08:40
			for range 2 {
				if _, err := s.App.Queue.Insert(ctx, app.ShiftNoticeArgs{}, nil); err != nil {
					t.Fatal(err)
				}
				waitUntil(t, 20*time.Second, "the job done", func() bool {
					var n int
					_ = s.App.St.R.QueryRow(`SELECT count(*) FROM oncall_shift_notices WHERE outcome <> ''`).Scan(&n)
					return n == 1
				})
			}
			msgs := sms.WaitForMessages(t, 1, 20*time.Second)
			if len(msgs) != 1 || msgs[0].DestinationPhoneNumber != "+819055550001" ||
				!strings.Contains(msgs[0].MessageBody, "platform の当番です：2026-02-24 09:00 JST から 2026-02-25 09:00 JST まで") {
				t.Fatalf("notices %+v", msgs)
			}
		})
	}
}
