package event

import (
	"errors"
	"os"
	"reflect"
	"regexp"
	"slices"
	"testing"
)

func TestEveryKindEncodesChecksAndFolds(t *testing.T) {
	t.Parallel()
	for _, k := range Kinds {
		t.Run(string(k), func(t *testing.T) {
			r := Sample(k)
			requireSameEncoding(t, []Record{r})
			payload := mustEncode(t, []Record{r})
			got, err := Decode(payload)
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if !reflect.DeepEqual(got, []Record{r}) {
				t.Fatalf("decode gives %#v, want %#v", got, r)
			}
			// without its body, a record of the kind is refused
			bare := Record{Kind: k, V: SchemaVersion}
			if err := bare.check(); err == nil {
				t.Fatal("check accepts the kind without its body")
			}
			// the fold knows the kind (its switch panics on one it does not)
			th := NewThread("t")
			th.ApplyRecords(1, []Record{Sample(KindCheckpoint)})
			th.ApplyRecords(2, got)
		})
	}
	if err := (Record{Kind: "teleport", V: SchemaVersion}).check(); !errors.Is(err, ErrUnknownKind) {
		t.Fatalf("an unknown kind: %v", err)
	}
}

// TestKindsListsEveryKind reads record.go: every Kind constant declared
// there must be in Kinds.
func TestKindsListsEveryKind(t *testing.T) {
	t.Parallel()
	src, err := os.ReadFile("record.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range regexp.MustCompile(`(?m)^\s+Kind\w+\s+Kind = "([^"]+)"`).FindAllSubmatch(src, -1) {
		if !slices.Contains(Kinds, Kind(m[1])) {
			t.Errorf("kind %q is declared in record.go but not listed in Kinds", m[1])
		}
	}
}
