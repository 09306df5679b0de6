package event

import "github.com/jetgraph/jetgraph/saver"

// validatePut checks the arguments every Put needs.
func validatePut(cfg saver.Config, cp saver.Checkpoint) error {
	if err := saver.ValidateThread(cfg.ThreadID); err != nil {
		return err
	}
	if cp.ID == "" {
		return saver.Invalid("checkpoint id", "empty")
	}
	return nil
}

// validateWrites checks the arguments every PutWrites needs.
func validateWrites(cfg saver.Config, taskID string) error {
	if err := saver.ValidateThread(cfg.ThreadID); err != nil {
		return err
	}
	if cfg.CheckpointID == "" {
		return saver.Invalid("checkpoint id", "empty")
	}
	if taskID == "" {
		return saver.Invalid("task id", "empty")
	}
	return nil
}
