package agent

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// lockFile is the file in the data directory an agent holds an exclusive
// flock on for as long as it runs, so that two agents never share one
// store, audit chain and admin token. The kernel releases the lock when the
// process ends, however it ends (kill -9 included): a stale file never
// blocks a restart.
const lockFile = "netagent.lock"

// DataLock is a held lock on a data directory.
type DataLock struct{ f *os.File }

// LockDataDir creates dir if needed and takes its lock, or says which
// process holds it. New takes the lock itself; a caller that writes into
// the data directory before the agent starts (serve's simulated lab) takes
// it first and hands it to NewLocked.
func LockDataDir(dir string) (*DataLock, error) {
	if dir == "" {
		return &DataLock{}, nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("agent: data dir: %w", err)
	}
	path := filepath.Join(dir, lockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("agent: data dir lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		holder := "another process"
		if b, rerr := os.ReadFile(path); rerr == nil {
			if pid, perr := strconv.Atoi(strings.TrimSpace(string(b))); perr == nil && pid > 0 {
				holder = fmt.Sprintf("another netagent (pid %d)", pid)
			}
		}
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("agent: data dir %s is in use by %s: stop it, or give this agent its own data_dir (NETAGENT_DATA_DIR)", dir, holder)
		}
		return nil, fmt.Errorf("agent: data dir lock %s: %w", path, err)
	}
	// The holder's pid, for the message another agent prints.
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &DataLock{f: f}, nil
}

// Release gives the lock up. The file stays: removing it would let a
// third agent lock a new file while a second still waits on the old one.
func (l *DataLock) Release() {
	if l == nil || l.f == nil {
		return
	}
	_ = syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
	l.f.Close()
	l.f = nil
}
