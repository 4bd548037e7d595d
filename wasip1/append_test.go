package wasip1_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wasmhive/wasmhive/engine"
	"github.com/wasmhive/wasmhive/internal/testguest"
)

// TestConcurrentAppend: two guest instances and a host writer append to one
// file at the same time, the guests through append-mode descriptors
// (path_open with FDFLAGS_APPEND). Every 64-byte record lands whole and in
// its writer's order, none overwrites another, and the file keeps what was
// there before: a real O_APPEND descriptor, not a stat followed by a write
// at the size it saw.
func TestConcurrentAppend(t *testing.T) {
	const records = 3000
	const recLen = 64
	dir := t.TempDir()
	logPath := filepath.Join(dir, "shared.log")
	const prefix = "written by the host before\n"
	if err := os.WriteFile(logPath, []byte(prefix), 0o644); err != nil {
		t.Fatal(err)
	}
	rt := newRuntime(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	mod, err := rt.CompileFile(ctx, testguest.Path(t, "wasi/checks.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 3)
	start := make(chan struct{})
	for _, tag := range []string{"A", "B"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			var stderr bytes.Buffer
			err := rt.RunCommand(ctx, mod, engine.InstanceConfig{
				Args:     []string{"checks", "append", tag, strconv.Itoa(records)},
				Stderr:   &stderr,
				Preopens: []engine.Preopen{{HostPath: dir, GuestPath: "/sandbox"}},
			})
			if err != nil {
				errs <- fmt.Errorf("writer %s: %v %s", tag, err, stderr.String())
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		f, err := os.OpenFile(logPath, os.O_WRONLY|os.O_APPEND, 0)
		if err != nil {
			errs <- err
			return
		}
		defer f.Close()
		<-start
		for i := 0; i < records; i++ {
			rec := []byte(fmt.Sprintf("H %d ", i))
			rec = append(rec, bytes.Repeat([]byte("."), recLen-1-len(rec))...)
			if _, err := f.Write(append(rec, '\n')); err != nil {
				errs <- err
				return
			}
		}
	}()
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	b, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	body, ok := bytes.CutPrefix(b, []byte(prefix))
	if !ok {
		t.Fatalf("the file's first line was overwritten: %q", b[:min(len(b), 80)])
	}
	if want := 3 * records * recLen; len(body) != want {
		t.Fatalf("appended %d bytes, want %d (3 writers x %d records of %d bytes): records were lost or overwritten",
			len(body), want, records, recLen)
	}
	next := map[string]int{}
	for off := 0; off < len(body); off += recLen {
		rec := string(body[off : off+recLen])
		fields := strings.Fields(rec)
		if len(fields) != 3 || !strings.HasSuffix(rec, ".\n") || strings.Count(rec, "\n") != 1 {
			t.Fatalf("torn record at offset %d: %q", off, rec)
		}
		i, err := strconv.Atoi(fields[1])
		if err != nil || i != next[fields[0]] {
			t.Fatalf("record %q at offset %d: want %s %d next", rec, off, fields[0], next[fields[0]])
		}
		next[fields[0]]++
	}
	for _, tag := range []string{"A", "B", "H"} {
		if next[tag] != records {
			t.Errorf("writer %s: %d records, want %d", tag, next[tag], records)
		}
	}
}
