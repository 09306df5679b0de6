package main

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/jetgraph/jetgraph/cmd/jetgraph/internal/ui"
	"github.com/jetgraph/jetgraph/graph"
	"github.com/jetgraph/jetgraph/saver"
	"github.com/jetgraph/jetgraph/saver/natsjs"
)

// uiServer answers the page's and scripts' requests with the commands'
// read model (threads, history, state, diff) and write operations (fork,
// update, resume) on one open saver.
type uiServer struct {
	se          *session
	saverName   string
	allowWrites bool
	// streams counts the goroutines event streams started.
	streams sync.WaitGroup
}

func newUIServer(se *session, saverName string, allowWrites bool) *uiServer {
	return &uiServer{se: se, saverName: saverName, allowWrites: allowWrites}
}

// wait returns after every goroutine the event streams started has
// returned.
func (h *uiServer) wait() { h.streams.Wait() }

func (h *uiServer) handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /", http.FileServerFS(ui.Assets()))
	mux.HandleFunc("GET /api/config", h.config)
	mux.HandleFunc("GET /api/graph", h.graph)
	mux.HandleFunc("GET /api/threads", h.threads)
	mux.HandleFunc("GET /api/threads/{id}", h.head)
	mux.HandleFunc("GET /api/threads/{id}/history", h.history)
	mux.HandleFunc("GET /api/threads/{id}/checkpoints/{cid}", h.checkpoint)
	mux.HandleFunc("GET /api/threads/{id}/diff", h.diff)
	mux.HandleFunc("GET /api/threads/{id}/events", h.events)
	mux.HandleFunc("POST /api/threads/{id}/fork", h.write(h.fork))
	mux.HandleFunc("POST /api/threads/{id}/update", h.write(h.update))
	mux.HandleFunc("POST /api/threads/{id}/resume", h.write(h.resume))
	noRoute := func(w http.ResponseWriter, r *http.Request) {
		writeAPIError(w, http.StatusNotFound, fmt.Errorf("no API route %s %s", r.Method, r.URL.Path))
	}
	mux.HandleFunc("GET /api/", noRoute)
	mux.HandleFunc("POST /api/", noRoute)
	return guard(mux)
}

// apiError is every error the API returns.
type apiError struct {
	Error string `json:"error"`
}

func writeAPIError(w http.ResponseWriter, code int, err error) {
	writeAPI(w, code, apiError{Error: oneLine(err)})
}

func writeAPI(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// fail answers err with the status code its kind calls for.
func fail(w http.ResponseWriter, err error) {
	var u usageError
	var b badInput
	code := http.StatusInternalServerError
	switch {
	case errors.Is(err, saver.ErrNotFound):
		code = http.StatusNotFound
	case errors.As(err, &u), errors.As(err, &b), errors.Is(err, saver.ErrInvalid):
		code = http.StatusBadRequest
	case errors.Is(err, saver.ErrConflict), errors.Is(err, saver.ErrStale), errors.Is(err, saver.ErrDeleted),
		errors.Is(err, graph.ErrNotInterrupted), errors.Is(err, graph.ErrInterrupted):
		code = http.StatusConflict
	case errors.Is(err, saver.ErrTooLarge):
		code = http.StatusRequestEntityTooLarge
	}
	writeAPIError(w, code, err)
}

// uiConfig tells the page what the server allows.
type uiConfig struct {
	Saver       string `json:"saver"`
	AllowWrites bool   `json:"allow_writes"`
	// Live is "stream" when the saver streams each thread's events, "poll"
	// when the server polls it.
	Live string `json:"live"`
}

func (h *uiServer) config(w http.ResponseWriter, _ *http.Request) {
	live := "poll"
	if _, ok := h.se.s.(*natsjs.Saver); ok {
		live = "stream"
	}
	writeAPI(w, http.StatusOK, uiConfig{Saver: h.saverName, AllowWrites: h.allowWrites, Live: live})
}

func (h *uiServer) graph(w http.ResponseWriter, _ *http.Request) {
	writeAPI(w, http.StatusOK, map[string]string{"mermaid": h.se.chain.Mermaid()})
}

func (h *uiServer) threads(w http.ResponseWriter, r *http.Request) {
	log, err := logOf(h.se.s, "the thread list")
	if err != nil {
		fail(w, err)
		return
	}
	infos, err := listThreads(r.Context(), h.se.s, log)
	if err != nil {
		fail(w, err)
		return
	}
	writeAPI(w, http.StatusOK, infos)
}

// head answers what "state THREAD --json" prints.
func (h *uiServer) head(w http.ResponseWriter, r *http.Request) {
	snap, err := h.se.state(r.Context(), r.PathValue("id"), "")
	if err != nil {
		fail(w, err)
		return
	}
	writeAPI(w, http.StatusOK, toJSONCheckpoint(snap, true))
}

// history answers what "history THREAD --json" prints.
func (h *uiServer) history(w http.ResponseWriter, r *http.Request) {
	snaps, err := h.se.history(r.Context(), r.PathValue("id"))
	if err != nil {
		fail(w, err)
		return
	}
	out := []jsonCheckpoint{}
	for _, s := range snaps {
		out = append(out, toJSONCheckpoint(s, false))
	}
	writeAPI(w, http.StatusOK, out)
}

// uiCheckpoint is one checkpoint as "state --checkpoint ID --json" prints
// it, with every channel's stored value.
type uiCheckpoint struct {
	jsonCheckpoint
	Channels []uiChannel `json:"channels"`
}

type uiChannel struct {
	Name  string `json:"name"`
	Bytes int    `json:"bytes"`
	// Value is the decoded value; a channel that holds several encoded
	// items (an appended list) shows them as an array.
	Value any    `json:"value"`
	Error string `json:"error,omitempty"`
}

func (h *uiServer) checkpoint(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	thread, id := r.PathValue("id"), r.PathValue("cid")
	snap, err := h.se.state(ctx, thread, id)
	if err != nil {
		fail(w, err)
		return
	}
	tu, err := h.se.s.GetTuple(ctx, saver.Config{ThreadID: thread, CheckpointID: id})
	if err != nil {
		fail(w, fmt.Errorf("checkpoint %s of thread %q: %w", id, thread, err))
		return
	}
	out := uiCheckpoint{jsonCheckpoint: toJSONCheckpoint(snap, true), Channels: []uiChannel{}}
	for name, b := range tu.Checkpoint.ChannelValues {
		out.Channels = append(out.Channels, decodeChannel(name, b))
	}
	slices.SortFunc(out.Channels, func(a, b uiChannel) int { return cmp.Compare(a.Name, b.Name) })
	writeAPI(w, http.StatusOK, out)
}

// decodeChannel decodes a channel's stored value: one or more msgpack
// values.
func decodeChannel(name string, b []byte) uiChannel {
	c := uiChannel{Name: name, Bytes: len(b)}
	dec := msgpack.NewDecoder(bytes.NewReader(b))
	var items []any
	for {
		v, err := dec.DecodeInterface()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			c.Error = fmt.Sprintf("undecodable after %d item(s): %v", len(items), err)
			break
		}
		items = append(items, jsonable(v))
	}
	switch len(items) {
	case 0:
	case 1:
		c.Value = items[0]
	default:
		c.Value = items
	}
	return c
}

// jsonable turns maps with non-string keys into maps JSON can encode.
func jsonable(v any) any {
	switch v := v.(type) {
	case map[any]any:
		m := make(map[string]any, len(v))
		for k, x := range v {
			m[fmt.Sprint(k)] = jsonable(x)
		}
		return m
	case map[string]any:
		for k, x := range v {
			v[k] = jsonable(x)
		}
		return v
	case []any:
		for i, x := range v {
			v[i] = jsonable(x)
		}
		return v
	case []byte:
		return string(v)
	}
	return v
}

// diff answers what "diff THREAD FROM TO --json" prints.
func (h *uiServer) diff(w http.ResponseWriter, r *http.Request) {
	from, to := r.URL.Query().Get("from"), r.URL.Query().Get("to")
	if from == "" || to == "" {
		fail(w, usagef("diff: name both checkpoints: ?from=ID&to=ID"))
		return
	}
	d, err := h.se.diff(r.Context(), r.PathValue("id"), from, to)
	if err != nil {
		fail(w, err)
		return
	}
	writeAPI(w, http.StatusOK, d)
}

// write guards a route that changes threads: it answers 403 unless the
// server allows writes.
func (h *uiServer) write(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !h.allowWrites {
			writeAPIError(w, http.StatusForbidden,
				errors.New("this server is read-only: restart jetgraph ui with --allow-writes to fork, update or resume"))
			return
		}
		next(w, r)
	}
}

// readBody decodes the request's JSON body into v; unknown fields are an
// error.
func readBody(r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return usagef("malformed JSON body: %v", err)
	}
	return nil
}

type forkRequest struct {
	CheckpointID string `json:"checkpoint_id"`
	To           string `json:"to"`
}

func (h *uiServer) fork(w http.ResponseWriter, r *http.Request) {
	var req forkRequest
	if err := readBody(r, &req); err != nil {
		fail(w, err)
		return
	}
	if req.To == "" {
		fail(w, usagef("fork: \"to\" names the new thread"))
		return
	}
	res, err := h.se.fork(r.Context(), r.PathValue("id"), req.CheckpointID, req.To)
	if err != nil {
		fail(w, err)
		return
	}
	writeAPI(w, http.StatusCreated, res)
}

type updateRequest struct {
	CheckpointID string          `json:"checkpoint_id"`
	AsNode       string          `json:"as_node"`
	Values       json.RawMessage `json:"values"`
}

func (h *uiServer) update(w http.ResponseWriter, r *http.Request) {
	var req updateRequest
	if err := readBody(r, &req); err != nil {
		fail(w, err)
		return
	}
	if len(req.Values) == 0 {
		fail(w, usagef("update: \"values\" is required: {\"messages\":[...]}"))
		return
	}
	state, err := parseValues(string(req.Values))
	if err != nil {
		fail(w, usagef("update: values: %v", err))
		return
	}
	res, err := h.se.update(r.Context(), r.PathValue("id"), req.CheckpointID, req.AsNode, state)
	if err != nil {
		fail(w, err)
		return
	}
	writeAPI(w, http.StatusOK, res)
}

type resumeRequest struct {
	// Value answers the pending interrupt; without it the thread runs
	// what is left.
	Value json.RawMessage `json:"value"`
}

func (h *uiServer) resume(w http.ResponseWriter, r *http.Request) {
	var req resumeRequest
	if err := readBody(r, &req); err != nil {
		fail(w, err)
		return
	}
	var value *any
	if len(req.Value) > 0 {
		v, err := parseResumeValue(req.Value)
		if err != nil {
			fail(w, usagef("resume: value: %v", err))
			return
		}
		value = &v
	}
	res, err := h.se.resume(r.Context(), r.PathValue("id"), value)
	if err != nil {
		fail(w, err)
		return
	}
	writeAPI(w, http.StatusOK, res)
}

// mustJSON encodes v, which always encodes.
func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
