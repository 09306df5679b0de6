package saver

// ValidatePut checks the arguments every Put needs.
func ValidatePut(cfg Config, cp Checkpoint) error {
	if cfg.ThreadID == "" {
		return Invalid("thread id", "empty")
	}
	if cp.ID == "" {
		return Invalid("checkpoint id", "empty")
	}
	return nil
}

// ValidateWrites checks the arguments every PutWrites needs.
func ValidateWrites(cfg Config, taskID string) error {
	if cfg.ThreadID == "" {
		return Invalid("thread id", "empty")
	}
	if cfg.CheckpointID == "" {
		return Invalid("checkpoint id", "empty")
	}
	if taskID == "" {
		return Invalid("task id", "empty")
	}
	return nil
}

// ValidateThread checks a thread id argument.
func ValidateThread(threadID string) error {
	if threadID == "" {
		return Invalid("thread id", "empty")
	}
	return nil
}
