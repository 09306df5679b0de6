package saver

// Special channels. A task's write to one of these replaces its earlier write
// to the same channel (last write wins); ordinary writes keep the first value
// written at an index.
const (
	ChannelError     = "__error__"
	ChannelInterrupt = "__interrupt__"
	ChannelResume    = "__resume__"
	ChannelScheduled = "__scheduled__"
)

// specialIndex gives each special channel a fixed, negative write index, as
// LangGraph does, so that a repeated write lands on the same key.
var specialIndex = map[string]int{
	ChannelError:     -1,
	ChannelScheduled: -2,
	ChannelInterrupt: -3,
	ChannelResume:    -4,
}

// IsSpecialChannel reports whether writes to channel are last-write-wins.
func IsSpecialChannel(channel string) bool {
	_, ok := specialIndex[channel]
	return ok
}

// WriteIndex is the index a write to channel at position i of a PutWrites
// call is stored under: i for ordinary channels, a fixed negative number for
// special ones.
func WriteIndex(channel string, i int) int {
	if idx, ok := specialIndex[channel]; ok {
		return idx
	}
	return i
}
