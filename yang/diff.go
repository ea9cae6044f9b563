package yang

import (
	"fmt"
	"strings"
)

// Op is what a Change does to its path.
type Op uint8

// Change operations.
const (
	OpCreate Op = iota + 1 // the node did not exist
	OpUpdate               // a leaf's value changes
	OpDelete               // the node and everything below it goes
)

func (o Op) String() string {
	switch o {
	case OpCreate:
		return "create"
	case OpUpdate:
		return "update"
	case OpDelete:
		return "delete"
	}
	return fmt.Sprintf("op(%d)", o)
}

// Change is one typed edit to one path of one device. A Change whose path
// ends at a list entry (Path.IsEntry) creates or deletes the whole entry; its
// Old and New are nil. A leaf Change carries the old value (update, delete)
// and the new one (create, update).
type Change struct {
	Op   Op
	Path Path
	Old  any
	New  any
}

// String renders the change as one line of a human-readable diff.
func (c Change) String() string {
	switch {
	case c.Path.IsEntry() && c.Op == OpCreate:
		return "+ " + c.Path.String()
	case c.Path.IsEntry() && c.Op == OpDelete:
		return "- " + c.Path.String()
	case c.Op == OpCreate:
		return fmt.Sprintf("+ %s = %s", c.Path, FormatValue(c.New))
	case c.Op == OpUpdate:
		return fmt.Sprintf("~ %s: %s -> %s", c.Path, FormatValue(c.Old), FormatValue(c.New))
	default:
		return fmt.Sprintf("- %s (was %s)", c.Path, FormatValue(c.Old))
	}
}

// Render renders changes as a human-readable diff, one line per change.
func Render(changes []Change) string {
	var b strings.Builder
	for _, c := range changes {
		b.WriteString(c.String())
		b.WriteByte('\n')
	}
	return b.String()
}

// Diff computes the ordered changes that turn from into to.
//
// Order: first every deletion, dependants before what they depend on (static
// routes and BGP neighbours before interfaces, addresses before their
// interface, a leaf before its entry: reverse canonical order); then every
// creation and update in canonical order (an entry before its leaves,
// interfaces before the routes that use them). A deleted entry is one Change:
// its leaves and sub-entries are not listed. A created entry is listed before
// its leaves; key leaves directly under the list are implied by the entry and
// not listed.
func Diff(from, to *Tree) []Change {
	a, b := from.entries(), to.entries()
	var dels, sets []Change
	// Leaves below a deleted entry follow it in canonical order, so
	// remembering the last deleted entry is enough to skip them.
	lastDeleted := "\x00"
	underDeleted := func(e *leafEntry) bool { return strings.HasPrefix(e.str, lastDeleted) }
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case j == len(b) || (i < len(a) && a[i].order < b[j].order):
			e := a[i]
			i++
			if e.schema.IsKey() {
				entry := e.path.Parent()
				// An entry is gone when its key leaf is gone.
				if !underDeleted(e) && entry[len(entry)-1].Keys[0].Name == e.schema.Name {
					lastDeleted = entry.String() + "/"
					dels = append(dels, Change{Op: OpDelete, Path: entry})
				}
				continue
			}
			if underDeleted(e) {
				continue
			}
			dels = append(dels, Change{Op: OpDelete, Path: e.path, Old: e.value})
		case i == len(a) || (j < len(b) && b[j].order < a[i].order):
			e := b[j]
			j++
			if e.schema.IsKey() {
				entry := e.path.Parent()
				if entry[len(entry)-1].Keys[0].Name == e.schema.Name {
					sets = append(sets, Change{Op: OpCreate, Path: entry})
				}
				continue
			}
			sets = append(sets, Change{Op: OpCreate, Path: e.path, New: e.value})
		default:
			e, f := a[i], b[j]
			i++
			j++
			if e.value != f.value {
				sets = append(sets, Change{Op: OpUpdate, Path: f.path, Old: e.value, New: f.value})
			}
		}
	}
	// Deletions were collected in ascending order; apply them in reverse.
	out := make([]Change, 0, len(dels)+len(sets))
	for k := len(dels) - 1; k >= 0; k-- {
		out = append(out, dels[k])
	}
	return append(out, sets...)
}

// Apply applies changes to t in order. It is the inverse of Diff:
// Apply(from.Clone(), Diff(from, to)) equals to.
func Apply(t *Tree, changes []Change) error {
	for _, c := range changes {
		switch c.Op {
		case OpDelete:
			t.Delete(c.Path)
		case OpCreate, OpUpdate:
			if c.Path.IsEntry() {
				if err := t.ensureEntries(c.Path); err != nil {
					return err
				}
				continue
			}
			if err := t.Set(c.Path, c.New); err != nil {
				return err
			}
		default:
			return fmt.Errorf("%s: unknown operation %v", c.Path, c.Op)
		}
	}
	return nil
}

// Invert returns the changes that undo changes, given the tree they were
// computed against: what a participant applies to roll back.
func Invert(before *Tree, changes []Change) ([]Change, error) {
	after := before.Clone()
	if err := Apply(after, changes); err != nil {
		return nil, err
	}
	return Diff(after, before), nil
}
