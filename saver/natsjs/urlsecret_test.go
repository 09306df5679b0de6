package natsjs_test

import (
	"testing"

	"github.com/jetgraph/jetgraph/saver/natsjs"
)

func TestURLHasSecret(t *testing.T) {
	t.Parallel()
	for url, want := range map[string]bool{
		"nats://127.0.0.1:4222":                       false,
		"nats://h1:4222,nats://h2:4222":               false,
		"nats://h:4222?tenant=a&creds=/etc/x@y.creds": false,
		"nats://user:pw@h:4222":                       true,
		"nats://token@h:4222":                         true,
		"nats://h1:4222, nats://u:p@h2:4222":          true,
		"u:p@h:4222":                                  true,
		"tls://u:p@h:4222":                            true,
	} {
		if got := natsjs.URLHasSecret(url); got != want {
			t.Errorf("URLHasSecret(%q) = %v, want %v", url, got, want)
		}
	}
}
