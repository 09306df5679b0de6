package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"testing"

	"github.com/jetgraph/jetgraph/saver"
)

func TestConstraintViolationMapsToConflict(t *testing.T) {
	t.Parallel()
	s, err := FromConnString(t.Context(), filepath.Join(t.TempDir(), "c.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(context.Background())
	insert := func() error {
		_, err := s.DB().ExecContext(t.Context(), `INSERT INTO jetgraph_events (thread, seq, payload) VALUES ('t', 1, x'00')`)
		return err
	}
	if err := insert(); err != nil {
		t.Fatal(err)
	}
	err = mapErr(insert())
	if !errors.Is(err, saver.ErrConflict) {
		t.Fatalf("duplicate (thread, seq): got %v, want ErrConflict", err)
	}
	if err := mapErr(sql.ErrNoRows); !errors.Is(err, sql.ErrNoRows) || errors.Is(err, saver.ErrConflict) {
		t.Fatalf("a non-SQLite error changed meaning: %v", err)
	}
}
