package saver

import "fmt"

// ValidatePut checks the arguments every Put needs.
func ValidatePut(cfg Config, cp Checkpoint) error {
	if err := ValidateThread(cfg.ThreadID); err != nil {
		return err
	}
	if cp.ID == "" {
		return Invalid("checkpoint id", "empty")
	}
	return nil
}

// ValidateWrites checks the arguments every PutWrites needs.
func ValidateWrites(cfg Config, taskID string) error {
	if err := ValidateThread(cfg.ThreadID); err != nil {
		return err
	}
	if cfg.CheckpointID == "" {
		return Invalid("checkpoint id", "empty")
	}
	if taskID == "" {
		return Invalid("task id", "empty")
	}
	return nil
}

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
