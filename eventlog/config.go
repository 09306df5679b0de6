package eventlog

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/jetgraph/jetgraph/saver"
)

// Config configures the stream that holds the threads. The zero value is
// usable.
type Config struct {
	// Stream is the stream's name. Defaults to "JETGRAPH".
	Stream string
	// Prefix is the subject prefix: thread t lives on <Prefix>.<token of t>.
	// Defaults to "jetgraph.thread".
	Prefix string
	// Storage is where the stream keeps messages. Defaults to
	// jetstream.FileStorage.
	Storage jetstream.StorageType
	// Replicas is the number of copies in a cluster. Defaults to 1.
	Replicas int
	// Duplicates is the window in which a retried append (same Nats-Msg-Id)
	// is stored once. Defaults to 2 minutes.
	Duplicates time.Duration
	// Timeout bounds each request to the server, so a server that went away
	// is an error, not a hang; the caller's context bounds the whole call
	// (an append may send its request again). Defaults to 5 seconds.
	Timeout time.Duration

	tenant string // set by ForTenant, checked by validate
}

// ForTenant returns c with tenant's stream and subject prefix in the
// fields c leaves empty: stream JETGRAPH_<tenant>_EVENTS, thread subjects
// jetgraph.tenant.<tenant>.thread.>. Two tenants' names never overlap, nor
// overlap the defaults, so tenants can share a NATS account, each confined
// to its own names by permissions (see the README's Security section). An
// empty tenant returns c unchanged; an invalid one is caught when the log
// is opened (see CheckTenant).
func (c Config) ForTenant(tenant string) Config {
	if tenant == "" {
		return c
	}
	if c.Stream == "" {
		c.Stream = "JETGRAPH_" + tenant + "_EVENTS"
	}
	if c.Prefix == "" {
		c.Prefix = TenantSubjects(tenant) + ".thread"
	}
	c.tenant = tenant
	return c
}

// TenantSubjects returns the subject prefix under which every subject of
// tenant lives: jetgraph.tenant.<tenant>. A tenant's permissions allow
// <TenantSubjects(tenant)>.> and nothing else of jetgraph's subjects.
func TenantSubjects(tenant string) string { return "jetgraph.tenant." + tenant }

// CheckTenant reports whether tenant is a valid tenant name: 1 to 64
// letters, digits, '-' and '_', so that it can be part of a subject token,
// a stream name and a bucket name alike. It is saver.ErrInvalid if not.
func CheckTenant(tenant string) error {
	if tenant == "" || len(tenant) > 64 || strings.Trim(tenant, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") != "" {
		return saver.Invalid("tenant", fmt.Sprintf("%q: want 1 to 64 letters, digits, '-' or '_'", tenant))
	}
	return nil
}

func (c Config) withDefaults() Config {
	if c.Stream == "" {
		c.Stream = "JETGRAPH"
	}
	if c.Prefix == "" {
		c.Prefix = "jetgraph.thread"
	}
	if c.Replicas == 0 {
		c.Replicas = 1
	}
	if c.Duplicates == 0 {
		c.Duplicates = 2 * time.Minute
	}
	if c.Timeout == 0 {
		c.Timeout = 5 * time.Second
	}
	return c
}

func (c Config) validate() error {
	if c.tenant != "" {
		if err := CheckTenant(c.tenant); err != nil {
			return err
		}
	}
	if strings.ContainsAny(c.Stream, ".*> \t\r\n/\\") {
		return saver.Invalid("eventlog.Config.Stream", fmt.Sprintf("%q is not a stream name", c.Stream))
	}
	for _, tok := range strings.Split(c.Prefix, ".") {
		if tok == "" || strings.ContainsAny(tok, "*> \t\r\n\f\x00") || !utf8.ValidString(tok) {
			return saver.Invalid("eventlog.Config.Prefix", fmt.Sprintf("%q is not a literal subject", c.Prefix))
		}
	}
	if c.Replicas < 1 || c.Replicas > 5 {
		return saver.Invalid("eventlog.Config.Replicas", fmt.Sprintf("%d is not in 1..5", c.Replicas))
	}
	if c.Duplicates < 0 || c.Timeout < 0 {
		return saver.Invalid("eventlog.Config", "negative duration")
	}
	return nil
}

// streamConfig is the stream the log needs. Direct gets (reads served by
// any replica) are used only on single-replica streams: on a replicated
// stream a follower may lag, and a read must see every acknowledged append.
func (c Config) streamConfig() jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:        c.Stream,
		Description: "jetgraph thread events",
		Subjects:    []string{c.Prefix + ".>"},
		Storage:     c.Storage,
		Replicas:    c.Replicas,
		Duplicates:  c.Duplicates,
		AllowDirect: c.Replicas == 1,
		Retention:   jetstream.LimitsPolicy,
		Discard:     jetstream.DiscardOld,
		MaxMsgs:     -1,
		MaxBytes:    -1,
		MaxAge:      0,
		DenyDelete:  true,
		AllowRollup: false,
	}
}
