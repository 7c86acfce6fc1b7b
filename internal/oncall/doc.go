// Package oncall is the schedule engine of issue 12: who is on call in a schedule at an
// instant, until when, and the calendar between two instants. The engine (OnCall, Next,
// Shifts, Validate) is pure computation with no clock of its own; Service keeps schedules,
// overrides and iCal feeds in the database (migration 00017) and answers the escalation
// engine through OnCallAt; WriteICal writes the feeds (RFC 5545).
//
// # Layers and shifts
//
// A Schedule has layers. Each layer rotates through its participants in order, one shift
// each, starting with Participants[0] at HandOff; before HandOff the layer has nobody.
// Shifts are counted in the layer's zone (Layer.TimeZone, else Schedule.TimeZone):
//
//   - Days and Weeks are calendar units. Every hand-off happens at the wall-clock time of
//     the first one: a daily 09:00 hand-off is at 09:00 local every day, so the shift that
//     contains a daylight-saving change is 23 or 25 hours long (a week 167 or 169).
//     A hand-off time that does not exist that day (in the spring gap) happens at the jump;
//     one that exists twice (the repeated autumn hour) happens at the first of the two.
//     In general a calendar hand-off happens at the first instant the local clock reads the
//     hand-off time or later.
//   - Hours are real hours: a 12-hour shift lasts 12 hours even through a 23- or 25-hour
//     day, so the hand-off times move with the change (09:00/21:00 becomes 10:00/22:00
//     after the spring change and back after the autumn one). Hand-offs fixed at 09:00 and
//     21:00 are two layers: a daily day layer restricted to 09:00–21:00 over a daily night
//     layer handing off at 21:00; the nights through the changes then last 11 and 13 hours.
//
// Restrictions limit a layer to windows of local time (for example 09:00–18:00 on
// weekdays); outside every window the layer has nobody. Windows follow the clock on the
// wall, including the jumps: a window 01:00–02:30 ends at 02:00 on the night the clocks
// skip to 03:00, and a window 01:00–01:30 opens twice on the night 01:00–02:00 repeats.
//
// # Who is on call
//
// At an instant, the highest-priority layer that has someone decides (on equal priority,
// the layer listed first). Then the overrides that contain the instant (Start inclusive,
// End exclusive) apply in the order of Schedule.Overrides, which is creation order, each to
// the result of the ones before: an override without Covers puts its person on call (also
// when no layer has anyone), one with Covers only when that person is on call at that point.
// So where overrides overlap, the latest-created one that applies wins.
//
// OnCall also returns until: the next instant the answer (person and layer) changes, found
// by walking the instants where something may change (hand-offs, window edges, zone
// changes, override edges) and checking the answer at each; zero when nothing changes
// within 400 days. Shifts returns the same answers as contiguous stretches for a calendar.
//
// Validate reports every problem of a schedule at once, each error naming its field
// (layers[0].shift.count, overrides[2].end, …). OnCall and Shifts never panic on an invalid
// schedule; they ignore layers Validate would reject.
package oncall
