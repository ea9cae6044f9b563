package fileintake

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/netagent/netagent/intent"
)

// MaxFileBytes is the largest intent file accepted.
const MaxFileBytes = 16 << 20

// Config configures a Watcher.
type Config struct {
	// Dir is the inbox; done/ and failed/ are created inside it. Required.
	Dir string
	// Service receives the intents. Required.
	Service *intent.Service
	// Interval between scans; default 1s.
	Interval time.Duration
	// Log receives what the watcher does; nil discards it.
	Log *slog.Logger
}

// Watcher moves intent files from a directory into the service.
type Watcher struct {
	cfg Config
	log *slog.Logger
}

// New checks cfg, creates the directories and returns a watcher.
func New(cfg Config) (*Watcher, error) {
	if cfg.Dir == "" || cfg.Service == nil {
		return nil, errors.New("fileintake: Dir and Service are required")
	}
	if cfg.Interval <= 0 {
		cfg.Interval = time.Second
	}
	for _, d := range []string{cfg.Dir, filepath.Join(cfg.Dir, "done"), filepath.Join(cfg.Dir, "failed")} {
		if err := os.MkdirAll(d, 0o750); err != nil {
			return nil, fmt.Errorf("fileintake: %w", err)
		}
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Watcher{cfg: cfg, log: log}, nil
}

// Run scans the directory every Interval until ctx ends.
func (w *Watcher) Run(ctx context.Context) error {
	t := time.NewTicker(w.cfg.Interval)
	defer t.Stop()
	for {
		if _, err := w.ProcessOnce(ctx); err != nil && ctx.Err() == nil {
			w.log.Error("file intake scan", "dir", w.cfg.Dir, "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Outcome is what happened to one file.
type Outcome struct {
	File string
	// IDs of the intents accepted (done/), or Err why the file failed.
	IDs []string
	Err error
}

// ProcessOnce handles every file in the inbox now, in name order. An error
// is returned only for problems with the directory or store; refused
// files are outcomes, not errors.
func (w *Watcher) ProcessOnce(ctx context.Context) ([]Outcome, error) {
	entries, err := os.ReadDir(w.cfg.Dir)
	if err != nil {
		return nil, fmt.Errorf("fileintake: read %s: %w", w.cfg.Dir, err)
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })
	var outs []Outcome
	for _, e := range entries {
		name := e.Name()
		if !e.Type().IsRegular() || strings.HasPrefix(name, ".") || strings.HasSuffix(name, ".tmp") || strings.HasSuffix(name, ".part") {
			continue
		}
		switch strings.ToLower(filepath.Ext(name)) {
		case ".json", ".yaml", ".yml":
		default:
			continue
		}
		if err := ctx.Err(); err != nil {
			return outs, err
		}
		out, err := w.processFile(ctx, name)
		if err != nil {
			return outs, err
		}
		outs = append(outs, out)
	}
	return outs, nil
}

// refused is an error that fails a file (as opposed to one that stops the scan).
type refused struct{ msg string }

func (r *refused) Error() string { return r.msg }

func (w *Watcher) processFile(ctx context.Context, name string) (Outcome, error) {
	path := filepath.Join(w.cfg.Dir, name)
	out := Outcome{File: name}
	data, err := readLimited(path)
	if err != nil {
		var r *refused
		if errors.As(err, &r) {
			out.Err = err
			return out, w.fail(name, err.Error())
		}
		return out, err
	}
	ins, report := decodeFile(name, data)
	{
		// Check every intent before submitting any: the file is all or
		// nothing, and its report names every problem.
		var lines []string
		if report != "" {
			lines = append(lines, report)
		}
		for i, in := range ins {
			if in == nil || in.Options.DryRun {
				continue
			}
			if _, err := w.cfg.Service.Compiler().Compile(ctx, in); err != nil {
				var ie *intent.InvalidError
				if !errors.As(err, &ie) {
					return out, fmt.Errorf("fileintake: check %s intent %d: %w", name, i, err)
				}
				lines = append(lines, problemLines(i, ie)...)
			}
		}
		report = strings.Join(lines, "\n")
	}
	if report != "" {
		out.Err = &refused{msg: report}
		w.log.Warn("intent file refused", "file", name)
		return out, w.fail(name, report)
	}
	for i, in := range ins {
		rec, err := w.cfg.Service.SubmitIntent(ctx, in, intent.Source{Channel: "file", Ref: fmt.Sprintf("%s#%d", name, i)})
		if err != nil {
			var ie *intent.InvalidError
			if errors.As(err, &ie) || errors.Is(err, intent.ErrConflict) {
				// Refused after the check (the network changed meanwhile):
				// the intents before it are stored; report and fail the file.
				msg := strings.Join(append(problemLines(i, ie), fmt.Sprintf("intent %d: %v", i, err)), "\n")
				out.Err = &refused{msg: msg}
				return out, w.fail(name, msg)
			}
			return out, fmt.Errorf("fileintake: submit %s intent %d: %w", name, i, err)
		}
		out.IDs = append(out.IDs, rec.ID)
	}
	if err := moveInto(path, filepath.Join(w.cfg.Dir, "done"), name); err != nil {
		return out, err
	}
	w.log.Info("intent file accepted", "file", name, "intents", len(out.IDs))
	return out, nil
}

func problemLines(i int, ie *intent.InvalidError) []string {
	if ie == nil {
		return nil
	}
	var lines []string
	for _, p := range ie.Problems {
		ptr := p.Pointer
		if ptr == "" {
			ptr = "(document)"
		}
		lines = append(lines, fmt.Sprintf("intent %d: %s check: %s: %s", i, ie.Stage, ptr, p.Reason))
	}
	return lines
}

func readLimited(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("fileintake: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("fileintake: read %s: %w", path, err)
	}
	if len(data) > MaxFileBytes {
		return nil, &refused{msg: fmt.Sprintf("the file is larger than %d bytes", MaxFileBytes)}
	}
	return data, nil
}

// decodeFile returns the intents in a file, with deterministic ids for
// those without one, or a report of every problem.
func decodeFile(name string, data []byte) ([]*intent.Intent, string) {
	var raws [][]byte
	var lines []string
	trimmed := bytes.TrimSpace(data)
	switch strings.ToLower(filepath.Ext(name)) {
	case ".json":
		if len(trimmed) > 0 && trimmed[0] == '[' {
			var arr []json.RawMessage
			if err := json.Unmarshal(trimmed, &arr); err != nil {
				return nil, fmt.Sprintf("file: not a JSON array of intents: %v", err)
			}
			for _, r := range arr {
				raws = append(raws, r)
			}
		} else {
			raws = append(raws, data)
		}
	default:
		dec := yaml.NewDecoder(bytes.NewReader(data))
		for n := 0; ; n++ {
			var doc any
			err := dec.Decode(&doc)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return nil, fmt.Sprintf("file: YAML document %d: %v", n, err)
			}
			items := []any{doc}
			if list, ok := doc.([]any); ok {
				items = list
			}
			for _, it := range items {
				b, err := json.Marshal(it)
				if err != nil {
					return nil, fmt.Sprintf("file: YAML document %d cannot be represented as JSON: %v", n, err)
				}
				raws = append(raws, b)
			}
		}
	}
	if len(raws) == 0 {
		return nil, "file: holds no intent"
	}
	sum := sha256.Sum256(data)
	prefix := "file-" + hex.EncodeToString(sum[:8])
	ins := make([]*intent.Intent, len(raws))
	for i, raw := range raws {
		in, err := intent.Decode(raw)
		if err != nil {
			var ie *intent.InvalidError
			if errors.As(err, &ie) {
				lines = append(lines, problemLines(i, ie)...)
			} else {
				lines = append(lines, fmt.Sprintf("intent %d: %v", i, err))
			}
			continue
		}
		if in.ID == "" {
			in.ID = fmt.Sprintf("%s-%d", prefix, i)
		}
		ins[i] = in
	}
	return ins, strings.Join(lines, "\n")
}

// fail writes failed/<name>.error, then moves the file beside it.
func (w *Watcher) fail(name, report string) error {
	failed := filepath.Join(w.cfg.Dir, "failed")
	target := uniqueName(failed, name)
	if err := writeAtomic(filepath.Join(failed, target+".error"), []byte(report+"\n")); err != nil {
		return err
	}
	if err := os.Rename(filepath.Join(w.cfg.Dir, name), filepath.Join(failed, target)); err != nil {
		return fmt.Errorf("fileintake: %w", err)
	}
	return syncDir(failed)
}

func moveInto(path, dir, name string) error {
	if err := os.Rename(path, filepath.Join(dir, uniqueName(dir, name))); err != nil {
		return fmt.Errorf("fileintake: %w", err)
	}
	return syncDir(dir)
}

// uniqueName returns name, or name with a time suffix if dir has it already.
func uniqueName(dir, name string) string {
	if _, err := os.Stat(filepath.Join(dir, name)); errors.Is(err, os.ErrNotExist) {
		return name
	}
	ext := filepath.Ext(name)
	return fmt.Sprintf("%s.%s%s", strings.TrimSuffix(name, ext), time.Now().UTC().Format("20060102T150405.000000000"), ext)
}

func writeAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o640)
	if err != nil {
		return fmt.Errorf("fileintake: %w", err)
	}
	_, werr := f.Write(data)
	serr := f.Sync()
	cerr := f.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		return fmt.Errorf("fileintake: write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("fileintake: %w", err)
	}
	return syncDir(filepath.Dir(path))
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("fileintake: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("fileintake: sync %s: %w", dir, err)
	}
	return nil
}
