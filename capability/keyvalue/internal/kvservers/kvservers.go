// Package kvservers starts the real backends the keyvalue providers' tests
// and benchmarks run against: an embedded nats-server with JetStream, and a
// redis-server child process, both on 127.0.0.1 and stopped at the test's
// cleanup.
package kvservers

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// NATS starts an embedded nats-server with JetStream storing its files in
// storeDir, listening on a free port of 127.0.0.1, and shuts it down at
// t's cleanup. JetStream has its default sync interval (2 minutes): a write
// is in the OS's page cache when acknowledged, fsynced later.
func NATS(t testing.TB, storeDir string) *server.Server {
	t.Helper()
	return startNATS(t, storeDir, false)
}

// NATSSyncAlways is NATS with JetStream's sync_interval "always": every
// write is fsynced before it is acknowledged, as bolt does.
func NATSSyncAlways(t testing.TB, storeDir string) *server.Server {
	t.Helper()
	return startNATS(t, storeDir, true)
}

func startNATS(t testing.TB, storeDir string, sync bool) *server.Server {
	t.Helper()
	s, err := newNATS(storeDir, sync)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.Shutdown()
		s.WaitForShutdown()
	})
	return s
}

// StartNATS is NATS without a test: the caller shuts the server down.
func StartNATS(storeDir string) (*server.Server, error) { return newNATS(storeDir, false) }

func newNATS(storeDir string, sync bool) (*server.Server, error) {
	opts := &server.Options{
		SyncAlways: sync,
		ServerName: "kvtest",
		Host:       "127.0.0.1",
		Port:       -1,
		JetStream:  true,
		StoreDir:   storeDir,
		NoLog:      true,
		NoSigs:     true,
	}
	s, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("nats-server: %w", err)
	}
	s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		s.Shutdown()
		return nil, fmt.Errorf("nats-server did not get ready in 10s")
	}
	return s, nil
}

// Connect connects to s in process (no TCP), as the Host connects to the
// server it embeds, and closes the connection at t's cleanup.
func Connect(t testing.TB, s *server.Server) *nats.Conn {
	t.Helper()
	nc, err := nats.Connect("", nats.InProcessServer(s))
	if err != nil {
		t.Fatalf("connect to nats-server: %v", err)
	}
	t.Cleanup(nc.Close)
	return nc
}

// Redis starts `redis-server` on a free port of 127.0.0.1 without
// persistence, waits until it answers PING, and kills it at t's cleanup. It
// returns the server's redis:// URL. A missing redis-server fails the test:
// CI installs it (Debian's redis-server package).
func Redis(t testing.TB) string {
	t.Helper()
	url, stop, err := StartRedis(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return url
}

// StartRedis is Redis without a test: dir is the server's working
// directory; stop kills it.
func StartRedis(dir string) (url string, stop func(), err error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return "", nil, fmt.Errorf("redis-server is not installed (apt-get install redis-server): the rediskv tests need a real Redis: %w", err)
	}
	var last error
	for try := 0; try < 3; try++ {
		port, err := freePort()
		if err != nil {
			return "", nil, err
		}
		url, stop, err := startRedis(bin, dir, port)
		if err == nil {
			return url, stop, nil
		}
		last = err // most likely the port was taken meanwhile
	}
	return "", nil, last
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// syncBuffer is a bytes.Buffer safe for the child's writes and our reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func startRedis(bin, dir string, port int) (string, func(), error) {
	addr := "127.0.0.1:" + strconv.Itoa(port)
	cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir, "--daemonize", "no")
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		return "", nil, fmt.Errorf("start redis-server: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stop := func() {
		cmd.Process.Kill()
		<-exited
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if ping(addr) == nil {
			return "redis://" + addr + "/0", stop, nil
		}
		select {
		case err := <-exited:
			exited <- err
			return "", nil, fmt.Errorf("redis-server on %s exited (%v): %s", addr, err, strings.TrimSpace(out.String()))
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			stop()
			return "", nil, fmt.Errorf("redis-server on %s did not answer PING in 10s: %s", addr, strings.TrimSpace(out.String()))
		}
	}
}

func ping(addr string) error {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if strings.TrimSpace(line) != "+PONG" {
		return fmt.Errorf("PING answered %q", line)
	}
	return nil
}

// ChildEnv names the environment variable that turns a test binary into a
// durability child (see KillChild and ChildLoop); its value tells the child
// where its store is.
const ChildEnv = "WASMHIVE_KV_DURABILITY_CHILD"

// ChildWorkers is how many goroutines of a durability child increment at
// once.
const ChildWorkers = 4

// ChildLoop is a durability child's work: ChildWorkers goroutines call incr
// until the process is killed, printing each acknowledged (returned) value
// on its own line of stdout. An error is printed as "error: ..." and ends
// the child.
func ChildLoop(incr func() (int64, error)) {
	var mu sync.Mutex
	done := make(chan struct{})
	var once sync.Once
	for w := 0; w < ChildWorkers; w++ {
		go func() {
			for {
				n, err := incr()
				mu.Lock()
				if err != nil {
					fmt.Printf("error: %v\n", err)
					mu.Unlock()
					once.Do(func() { close(done) })
					return
				}
				fmt.Println(n) // unbuffered: in the pipe before the next increment starts
				mu.Unlock()
			}
		}()
	}
	<-done
}

// Child is a running durability child.
type Child struct {
	cmd   *exec.Cmd
	lines chan string
	errc  chan error
	acked int64              // the highest acknowledged value read so far
	count int                // acknowledgements read so far
	seen  map[int64]struct{} // values acknowledged, to catch duplicates
}

// StartChild runs the test binary again as a durability child with
// ChildEnv=arg, reading the values it acknowledges.
func StartChild(t testing.TB, arg string) *Child {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), ChildEnv+"="+arg)
	var stderr syncBuffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &Child{cmd: cmd, lines: make(chan string, 1024), errc: make(chan error, 2), seen: map[int64]struct{}{}}
	t.Cleanup(func() { cmd.Process.Kill() })
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			c.lines <- sc.Text()
		}
		close(c.lines)
		c.errc <- cmd.Wait()
		if s := stderr.String(); s != "" {
			c.errc <- errors.New(strings.TrimSpace(s))
		}
	}()
	return c
}

// take records one line of the child's output.
func (c *Child) take(t testing.TB, line string) {
	t.Helper()
	if strings.HasPrefix(line, "error: ") {
		t.Fatalf("durability child: %s", line)
	}
	n, err := strconv.ParseInt(line, 10, 64)
	if err != nil {
		t.Fatalf("durability child printed %q", line)
	}
	if _, dup := c.seen[n]; dup {
		t.Fatalf("durability child acknowledged %d twice: a lost update", n)
	}
	c.seen[n] = struct{}{}
	c.count++
	c.acked = max(c.acked, n)
}

// WaitAcks waits until the child acknowledged at least n increments (at
// most timeout).
func (c *Child) WaitAcks(t testing.TB, n int, timeout time.Duration) {
	t.Helper()
	deadline := time.After(timeout)
	for c.count < n {
		select {
		case line, ok := <-c.lines:
			if !ok {
				err := <-c.errc
				t.Fatalf("durability child exited after %d acknowledgements: %v", c.count, err)
			}
			c.take(t, line)
		case <-deadline:
			t.Fatalf("durability child acknowledged %d increments in %v, want %d", c.count, timeout, n)
		}
	}
}

// Kill kills the child with SIGKILL, reads what it acknowledged before it
// died, and returns the highest acknowledged value and the number of
// acknowledgements. They may differ by up to ChildWorkers: a worker killed
// between an increment's return and its print.
func (c *Child) Kill(t testing.TB) (acked int64, count int) {
	t.Helper()
	if err := c.cmd.Process.Kill(); err != nil { // SIGKILL: no cleanup, no flush
		t.Fatal(err)
	}
	for line := range c.lines {
		c.take(t, line)
	}
	<-c.errc
	return c.acked, c.count
}
