package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"time"

	"github.com/wasmhive/wasmhive"
	httptrigger "github.com/wasmhive/wasmhive/trigger/http"
)

// httpCases serves GET / with "hello, world\n" from a native Go handler and
// from the Go guest testdata/guests/http/hello on a wasmhive.Host behind
// the HTTP trigger (as `wasmhive serve` does), interruptible, off and with
// wazero's checks, and measures each with wrk in a separate process
// (-rounds rounds of -wrk-duration, interleaved; the median is reported).
func httpCases(root, tmp string) error {
	wrk, err := exec.LookPath("wrk")
	if err != nil {
		fmt.Println("(no wrk on PATH: the HTTP case is skipped)")
		return nil
	}
	ctx := context.Background()
	guest := filepath.Join(tmp, "hello-http.wasm")
	cmd := exec.Command("go", "build", "-buildmode=c-shared", "-o", guest, "./testdata/guests/http/hello")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("build the HTTP guest: %v\n%s", err, b)
	}
	quiet := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	body := []byte("hello, world\n")
	type server struct {
		name string
		addr string
		rps  []float64
	}
	var servers []*server
	serve := func(name string, h http.Handler) error {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		srv := &http.Server{Handler: h}
		go srv.Serve(ln)
		servers = append(servers, &server{name: name, addr: ln.Addr().String()})
		return nil
	}
	if err := serve("native Go handler", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Write(body)
	})); err != nil {
		return err
	}
	max := 4 * runtime.GOMAXPROCS(0)
	for _, m := range modes(tmp) {
		hc := m.hc
		hc.Logger = quiet
		h, err := wasmhive.NewHost(ctx, hc)
		if err != nil {
			return err
		}
		defer h.Close(ctx)
		if _, err := h.AddComponent(ctx, "app", wasmhive.ComponentConfig{Module: guest,
			Instances: wasmhive.Instances{Max: max, Min: max, Queue: 256, QueueTimeout: 10 * time.Second}}); err != nil {
			return err
		}
		t, err := httptrigger.New(httptrigger.Config{Invoker: h, Routes: []httptrigger.Route{{Path: "/", Component: "app"}}, Logger: quiet})
		if err != nil {
			return err
		}
		if err := serve("Go guest, "+m.name, t); err != nil {
			return err
		}
	}
	rpsRe := regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)
	for r := 0; r < *rounds; r++ {
		for _, s := range servers {
			out, err := exec.Command(wrk, "-t", "1", "-c", "32", "-d", wrkDuration.String(), "http://"+s.addr+"/").CombinedOutput()
			if err != nil {
				return fmt.Errorf("wrk: %v\n%s", err, out)
			}
			m := rpsRe.FindSubmatch(out)
			if m == nil {
				return fmt.Errorf("wrk said %s", out)
			}
			v, _ := strconv.ParseFloat(string(m[1]), 64)
			s.rps = append(s.rps, v)
		}
	}
	fmt.Printf("| GET / (wrk -t1 -c32 -d%v, %d rounds, median) | req/s | vs native | vs off |\n", *wrkDuration, *rounds)
	fmt.Println("|---|---:|---:|---:|")
	med := func(v []float64) float64 { v = slices.Clone(v); slices.Sort(v); return v[len(v)/2] }
	native, off := med(servers[0].rps), med(servers[2].rps)
	for _, s := range servers {
		v := med(s.rps)
		fmt.Printf("| %s | %.0f | %.2f | %.2f |\n", s.name, v, v/native, v/off)
	}
	return nil
}
