package snsverify

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Message types SNS posts to an HTTP/S subscription.
const (
	TypeNotification             = "Notification"
	TypeSubscriptionConfirmation = "SubscriptionConfirmation"
	TypeUnsubscribeConfirmation  = "UnsubscribeConfirmation"
)

// Message is the JSON body SNS POSTs to an HTTP/S endpoint (with raw message
// delivery off). Field names in JSON are SNS's own.
type Message struct {
	Type      string `json:"Type"`
	MessageID string `json:"MessageId"`
	// Token is set on subscription and unsubscribe confirmations.
	Token    string `json:"Token,omitempty"`
	TopicArn string `json:"TopicArn"`
	// Subject is set on notifications published with one.
	Subject          string `json:"Subject,omitempty"`
	Message          string `json:"Message"`
	Timestamp        string `json:"Timestamp"`
	SignatureVersion string `json:"SignatureVersion"`
	Signature        string `json:"Signature"`
	SigningCertURL   string `json:"SigningCertURL"`
	// SubscribeURL is set on subscription and unsubscribe confirmations.
	SubscribeURL string `json:"SubscribeURL,omitempty"`
	// UnsubscribeURL is set on notifications.
	UnsubscribeURL string `json:"UnsubscribeURL,omitempty"`
}

// fields maps each JSON name Parse reads to the Message field it fills.
// Anything else in the body (MessageAttributes, say) is ignored.
func (m *Message) fields() map[string]*string {
	return map[string]*string{
		"Type":             &m.Type,
		"MessageId":        &m.MessageID,
		"Token":            &m.Token,
		"TopicArn":         &m.TopicArn,
		"Subject":          &m.Subject,
		"Message":          &m.Message,
		"Timestamp":        &m.Timestamp,
		"SignatureVersion": &m.SignatureVersion,
		"Signature":        &m.Signature,
		"SigningCertURL":   &m.SigningCertURL,
		"SubscribeURL":     &m.SubscribeURL,
		"UnsubscribeURL":   &m.UnsubscribeURL,
	}
}

// maxBody bounds what Parse reads; SNS messages are at most 256 KiB of
// payload plus a few KiB of envelope.
const maxBody = 1 << 20

// Parse decodes the body of an SNS HTTP/S POST. It accepts any message type
// (Verify checks it) but refuses what could be read two ways: invalid JSON
// or UTF-8, anything but one object, a known field given twice or spelled
// with different letter case (encoding/json would match "message" to
// Message), or a known field that is not a string. A null field counts as
// absent. Parse does not verify anything: call Verify next.
func Parse(body []byte) (*Message, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, malformed("empty body")
	}
	if len(body) > maxBody {
		return nil, malformed(fmt.Sprintf("body is %d bytes, more than the %d an SNS message can be", len(body), maxBody))
	}
	if !utf8.Valid(body) {
		return nil, malformed("body is not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	tok, err := dec.Token()
	if err != nil {
		return nil, malformed("invalid JSON: " + err.Error())
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, malformed("body is not a JSON object")
	}
	m := &Message{}
	fields := m.fields()
	seen := make(map[string]bool, len(fields))
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, malformed("invalid JSON: " + err.Error())
		}
		key, ok := tok.(string)
		if !ok {
			return nil, malformed("invalid JSON: object key is not a string")
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, malformed("invalid JSON: " + err.Error())
		}
		dst, known := fields[key]
		if !known {
			for name := range fields {
				if strings.EqualFold(name, key) {
					return nil, malformed(fmt.Sprintf("field %q differs from %q only in letter case", key, name))
				}
			}
			continue
		}
		if seen[key] {
			return nil, malformed(fmt.Sprintf("field %q appears more than once", key))
		}
		seen[key] = true
		if string(raw) == "null" {
			continue
		}
		if err := json.Unmarshal(raw, dst); err != nil {
			return nil, malformed(fmt.Sprintf("field %q is not a string", key))
		}
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return nil, malformed("invalid JSON: " + err.Error())
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, malformed("invalid JSON: data after the object")
	}
	return m, nil
}

func malformed(reason string) error {
	return fmt.Errorf("snsverify: %w: %s", ErrMalformed, reason)
}

// StringToSign returns the bytes SNS signs for m: "Name\nvalue\n" for each
// signed field, in the documented order. A Notification signs Message,
// MessageId, Subject (only when there is one), Timestamp, TopicArn and
// Type; a SubscriptionConfirmation or UnsubscribeConfirmation signs
// Message, MessageId, SubscribeURL, Timestamp, Token, TopicArn and Type.
func StringToSign(m *Message) ([]byte, error) {
	if m == nil {
		return nil, malformed("no message")
	}
	var b bytes.Buffer
	add := func(name, value string) {
		b.WriteString(name)
		b.WriteByte('\n')
		b.WriteString(value)
		b.WriteByte('\n')
	}
	switch m.Type {
	case TypeNotification:
		add("Message", m.Message)
		add("MessageId", m.MessageID)
		if m.Subject != "" {
			add("Subject", m.Subject)
		}
		add("Timestamp", m.Timestamp)
		add("TopicArn", m.TopicArn)
		add("Type", m.Type)
	case TypeSubscriptionConfirmation, TypeUnsubscribeConfirmation:
		add("Message", m.Message)
		add("MessageId", m.MessageID)
		add("SubscribeURL", m.SubscribeURL)
		add("Timestamp", m.Timestamp)
		add("Token", m.Token)
		add("TopicArn", m.TopicArn)
		add("Type", m.Type)
	case "":
		return nil, malformed("Type is missing")
	default:
		return nil, malformed(fmt.Sprintf("Type %q is not %s, %s or %s", m.Type,
			TypeNotification, TypeSubscriptionConfirmation, TypeUnsubscribeConfirmation))
	}
	return b.Bytes(), nil
}

// digest hashes the string to sign as SignatureVersion asks.
func digest(version string, toSign []byte) (crypto.Hash, []byte, error) {
	switch version {
	case "1":
		sum := sha1.Sum(toSign)
		return crypto.SHA1, sum[:], nil
	case "2":
		sum := sha256.Sum256(toSign)
		return crypto.SHA256, sum[:], nil
	case "":
		return 0, nil, fmt.Errorf("snsverify: %w: SignatureVersion is missing", ErrSignatureVersion)
	}
	return 0, nil, fmt.Errorf("snsverify: %w: %q (want \"1\" or \"2\")", ErrSignatureVersion, version)
}

// Sign sets m.Signature the way SNS would with key, for the
// SignatureVersion m already carries. It exists for tests and fakes that
// play SNS; production code only verifies.
func Sign(m *Message, key *rsa.PrivateKey) error {
	toSign, err := StringToSign(m)
	if err != nil {
		return err
	}
	h, sum, err := digest(m.SignatureVersion, toSign)
	if err != nil {
		return err
	}
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, h, sum)
	if err != nil {
		return fmt.Errorf("snsverify: sign: %w", err)
	}
	m.Signature = base64.StdEncoding.EncodeToString(sig)
	return nil
}

// Errors Verify and ConfirmSubscription wrap; test with errors.Is.
var (
	// ErrMalformed: the body or a required field is missing or unusable.
	ErrMalformed = errors.New("malformed SNS message")
	// ErrURLNotAllowed: SigningCertURL or SubscribeURL is not an HTTPS URL
	// on an SNS host.
	ErrURLNotAllowed = errors.New("URL is not an Amazon SNS HTTPS URL")
	// ErrCertificate: the signing certificate could not be fetched or used.
	ErrCertificate = errors.New("signing certificate unusable")
	// ErrSignatureVersion: SignatureVersion is neither "1" nor "2".
	ErrSignatureVersion = errors.New("unsupported SignatureVersion")
	// ErrSignature: the signature does not match the message.
	ErrSignature = errors.New("signature does not match the message")
	// ErrTimestamp: Timestamp is too far from the local clock.
	ErrTimestamp = errors.New("timestamp outside the accepted window")
	// ErrTopic: TopicAllowed refused the message's topic.
	ErrTopic = errors.New("topic not allowed")
)
