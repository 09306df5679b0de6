package saver

import "fmt"

// MaxThreadIDBytes is the longest thread id every saver accepts, in bytes.
// A longer id is refused with ErrInvalid before anything is read or
// written, the same on every saver.
const MaxThreadIDBytes = 1024

// ValidateThread checks a thread id argument: not empty, at most
// MaxThreadIDBytes long.
func ValidateThread(threadID string) error {
	if threadID == "" {
		return Invalid("thread id", "empty")
	}
	if len(threadID) > MaxThreadIDBytes {
		return Invalid("thread id", fmt.Sprintf("%d bytes long, more than the %d allowed", len(threadID), MaxThreadIDBytes))
	}
	return nil
}
