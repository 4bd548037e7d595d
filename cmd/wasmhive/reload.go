package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/wasmhive/wasmhive/app"
	"github.com/wasmhive/wasmhive/manifest"
)

func init() { commands = append(commands, newReloadCmd) }

const (
	// controlSocket is the name of `up`'s control socket in the app's data
	// directory.
	controlSocket = "control.sock"
	// maxSocketPath is the longest unix socket path that works everywhere
	// (macOS's sun_path; Linux's is 108).
	maxSocketPath = 104
	// reloadTimeout bounds one reload: compiling and warming the new
	// versions.
	reloadTimeout = 5 * time.Minute
)

func newReloadCmd() *cobra.Command {
	var dataDir string
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "reload [--data-dir DIR] APP.yaml",
		Short: "Apply an edited manifest's components to the running wasmhive up of its app",
		Long: `Ask the wasmhive up serving APP.yaml to re-read it and hot swap its components, as SIGHUP does:
components added to the manifest are added, those whose module bytes or configuration changed are
replaced while calls flow (calls in flight finish on the old version), those gone are removed. A
change outside components (routes, listen, subscriptions, providers, claims, data_dir) refuses the
whole reload: restart up to apply it. A new version that fails to load or to link is refused, and the
old one keeps serving. It reaches up through the control socket in the app's data directory, so give
the same --data-dir as up. Exit status: 0 reloaded, 1 refused, 2 no wasmhive up serves the app.
Details: docs/manifest.md#reloading.`,
		Example: `  wasmhive reload examples/pipeline/app.yaml
  wasmhive reload --data-dir /tmp/kv app.yaml`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if timeout <= 0 {
				return usageError{errors.New("--timeout: want a duration above 0")}
			}
			return reloadApp(cmd.Context(), cmd.OutOrStdout(), args[0], dataDir, timeout)
		},
	}
	cmd.Flags().StringVar(&dataDir, "data-dir", "", "the app's data directory, when up was given --data-dir `DIR`")
	cmd.Flags().DurationVar(&timeout, "timeout", reloadTimeout, "wait this long for the reload")
	return cmd
}

// reloadApp asks the up serving the manifest at path to reload it, and
// prints its answer.
func reloadApp(ctx context.Context, stdout io.Writer, path, dataDir string, timeout time.Duration) error {
	m, err := manifest.Load(path)
	if err != nil {
		var me *manifest.Error
		if errors.As(err, &me) {
			// up would refuse it alike, after reading it again.
			return exitStatus{code: 1, msg: "reload refused: " + oneLineErr(err) + " (nothing was changed)"}
		}
		return usageError{err}
	}
	dir := m.DataDir
	if dataDir != "" {
		dir = dataDir
	}
	sock := filepath.Join(dir, controlSocket)
	if len(sock) > maxSocketPath {
		return exitStatus{code: exitUsage, msg: fmt.Sprintf("no wasmhive up for app %s can be reached: its control socket %s is over %d bytes; send SIGHUP to the process instead", m.Name, sock, maxSocketPath)}
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return usageError{err}
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	client := &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", sock)
		},
		DisableKeepAlives: true,
	}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://wasmhive/reload?manifest="+url.QueryEscape(abs), nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		var op *net.OpError
		switch {
		case errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ECONNREFUSED):
			return exitStatus{code: exitUsage, msg: fmt.Sprintf("no running wasmhive up for app %s (no control socket at %s)", m.Name, sock)}
		case errors.As(err, &op) && op.Op == "dial":
			return exitStatus{code: 1, msg: fmt.Sprintf("cannot reach wasmhive up for app %s at %s: %v", m.Name, sock, op.Err)}
		case ctx.Err() != nil:
			return exitStatus{code: 1, msg: fmt.Sprintf("no answer from wasmhive up for app %s within %s (the reload may still be running: see its log)", m.Name, timeout)}
		}
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return fmt.Errorf("reading wasmhive up's answer: %w", err)
	}
	line := strings.TrimSpace(string(b))
	if resp.StatusCode != http.StatusOK {
		if line == "" {
			line = "wasmhive up answered " + resp.Status
		}
		return exitStatus{code: 1, msg: line}
	}
	fmt.Fprintln(stdout, line)
	return nil
}

// oneLineErr is err's message on one line (a manifest's problems are one
// per line).
func oneLineErr(err error) string { return strings.ReplaceAll(err.Error(), "\n", "; ") }

// reloader re-reads the manifest that up serves and applies it to the
// running app, one reload at a time.
type reloader struct {
	mu      sync.Mutex
	path    string // the manifest, as up was given it
	app     *app.App
	log     *slog.Logger
	prepare func(*manifest.App) error // what up's flags change in a manifest
}

// reload reloads the manifest and returns the line to answer, with the
// HTTP status of the control socket. from, when not empty, is the
// manifest the caller means: refused unless it is the one up serves. by
// says who asked, for the log.
func (r *reloader) reload(ctx context.Context, from, by string) (string, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	refuse := func(status int, msg string) (string, int) {
		r.log.Error("reload refused", "error", msg, "by", by)
		return msg, status
	}
	if from != "" && !sameFile(from, r.path) {
		return refuse(http.StatusBadRequest, fmt.Sprintf("reload refused: this wasmhive up serves %s, not %s (nothing was changed)", r.path, from))
	}
	m, err := manifest.Load(r.path)
	if err == nil {
		err = r.prepare(m)
	}
	if err != nil {
		return refuse(http.StatusBadRequest, "reload refused: "+oneLineErr(err)+" (nothing was changed)")
	}
	res, err := r.app.Reload(ctx, m)
	if err != nil {
		return refuse(http.StatusConflict, oneLineErr(err))
	}
	r.log.Info("reloaded", append(res.Attrs(), "by", by)...)
	return "reloaded " + m.Name + ": " + res.String(), http.StatusOK
}

func sameFile(a, b string) bool {
	fa, err := os.Stat(a)
	if err != nil {
		return false
	}
	fb, err := os.Stat(b)
	return err == nil && os.SameFile(fa, fb)
}

// notifyHUP catches SIGHUP from now on (instead of dying of it); stop
// lets it go.
func notifyHUP() (hup <-chan os.Signal, stop func()) {
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGHUP)
	return c, func() { signal.Stop(c) }
}

// onHUP reloads on each SIGHUP until ctx is done.
func (r *reloader) onHUP(ctx context.Context, hup <-chan os.Signal) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			rctx, cancel := context.WithTimeout(ctx, reloadTimeout)
			r.reload(rctx, "", "SIGHUP")
			cancel()
		}
	}
}

// controlServer serves `up`'s control socket: POST /reload.
type controlServer struct {
	path string
	srv  *http.Server
	once sync.Once
	done chan struct{}
}

// startControl listens on the control socket in the app's data directory
// dir, until ctx is done or close. It refuses when another process serves
// the socket, and replaces a stale one. When the socket cannot be made
// (its path is too long for a unix socket, the directory cannot be
// written) it warns and returns nil: up runs on without it, and SIGHUP
// still reloads.
func startControl(ctx context.Context, dir string, rl *reloader, log *slog.Logger) (*controlServer, error) {
	path := filepath.Join(dir, controlSocket)
	without := func(why string, err error) (*controlServer, error) {
		attrs := []any{"path", path}
		if err != nil {
			attrs = append(attrs, "error", err.Error())
		}
		log.Warn("no control socket: "+why+"; wasmhive reload cannot reach this host (SIGHUP still reloads)", attrs...)
		return nil, nil
	}
	if len(path) > maxSocketPath {
		return without(fmt.Sprintf("its path is too long for a unix socket (%d bytes, at most %d)", len(path), maxSocketPath), nil)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return without("cannot make the data directory", err)
	}
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode()&fs.ModeSocket == 0 {
			return without("the path exists and is not a socket", nil)
		}
		c, err := net.DialTimeout("unix", path, 2*time.Second)
		if err == nil {
			c.Close()
			return nil, fmt.Errorf("another wasmhive up serves this app (control socket %s)", path)
		}
		if !errors.Is(err, syscall.ECONNREFUSED) && !errors.Is(err, fs.ErrNotExist) {
			return without("cannot tell whether another process serves it", err)
		}
		os.Remove(path) // stale: its process is gone
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		return without("cannot listen", err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return without("cannot restrict it to its owner", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /reload", func(w http.ResponseWriter, r *http.Request) {
		// The reload runs to its end even if the caller goes away.
		rctx, cancel := context.WithTimeout(ctx, reloadTimeout)
		defer cancel()
		line, status := rl.reload(rctx, r.URL.Query().Get("manifest"), "wasmhive reload")
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(status)
		io.WriteString(w, line+"\n")
	})
	cs := &controlServer{path: path, done: make(chan struct{}), srv: &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      reloadTimeout + 30*time.Second,
		IdleTimeout:       time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}}
	go cs.srv.Serve(ln)
	go func() {
		select {
		case <-ctx.Done(): // shutdown begins: no reload from now on
			cs.close()
		case <-cs.done:
		}
	}()
	return cs, nil
}

// close stops serving the control socket and removes it. A nil server
// (no socket) closes to nothing.
func (cs *controlServer) close() {
	if cs == nil {
		return
	}
	cs.once.Do(func() {
		cs.srv.Close() // closing the listener removes the socket
		close(cs.done)
	})
}
