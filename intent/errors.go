package intent

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinels callers branch on with errors.Is.
var (
	// ErrInvalid: the intent was refused (malformed, schema or semantic);
	// the error is an *InvalidError listing every problem.
	ErrInvalid = errors.New("intent: invalid")
	// ErrMalformed: the body is not one well-formed JSON (or YAML) document
	// within the limits; it also matches ErrInvalid.
	ErrMalformed = errors.New("intent: malformed")
	// ErrTooLarge: the body exceeds MaxBytes; it also matches ErrInvalid.
	ErrTooLarge = errors.New("intent: too large")
	// ErrNotFound: no intent has that id.
	ErrNotFound = errors.New("intent: not found")
	// ErrConflict: an intent with that id exists with different content,
	// or the requested transition is not allowed in its state.
	ErrConflict = errors.New("intent: conflict")
	// ErrRolledBack: an executor failed and undid what it had applied.
	ErrRolledBack = errors.New("intent: rolled back")
)

// Stage says which check refused an intent.
type Stage string

// Stages of intake checking, in order.
const (
	StageSyntax   Stage = "syntax"   // strict JSON decoding and limits
	StageSchema   Stage = "schema"   // the kind's JSON Schema
	StageSemantic Stage = "semantic" // inventory and the device model
)

// Problem is one reason an intent is refused: where (an RFC 6901 JSON
// pointer into the submitted document, "" for the whole document) and why,
// in plain words.
type Problem struct {
	Pointer string `json:"pointer"`
	Reason  string `json:"reason"`
}

// InvalidError lists every problem found at the stage that refused the
// intent. errors.Is(err, ErrInvalid) holds for every InvalidError;
// ErrMalformed and ErrTooLarge hold for syntax errors of those sorts.
type InvalidError struct {
	Stage    Stage
	Problems []Problem
	tooLarge bool
}

func (e *InvalidError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		ptr := p.Pointer
		if ptr == "" {
			ptr = "(document)"
		}
		parts[i] = ptr + ": " + p.Reason
	}
	return fmt.Sprintf("intent: %s: %s", e.Stage, strings.Join(parts, "; "))
}

// Is matches ErrInvalid, and ErrMalformed / ErrTooLarge for syntax errors.
func (e *InvalidError) Is(target error) bool {
	switch target {
	case ErrInvalid:
		return true
	case ErrMalformed:
		return e.Stage == StageSyntax
	case ErrTooLarge:
		return e.tooLarge
	}
	return false
}

func invalid(stage Stage, pointer, format string, args ...any) *InvalidError {
	return &InvalidError{Stage: stage, Problems: []Problem{{Pointer: pointer, Reason: fmt.Sprintf(format, args...)}}}
}

// pointerEscape escapes one reference token per RFC 6901.
func pointerEscape(tok string) string {
	if !strings.ContainsAny(tok, "~/") {
		return tok
	}
	return strings.ReplaceAll(strings.ReplaceAll(tok, "~", "~0"), "/", "~1")
}
