package wasmhive

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// FuzzRedact: whatever the secrets and the text, a redacted string, error,
// log record, or stream written in chunks of any sizes holds no secret, and
// a stream holds the text whole when there is none in it.
func FuzzRedact(f *testing.F) {
	f.Add("s3cr3t", "", "the key is s3cr3t!", uint(3))
	f.Add("]]", "x", "]]]", uint(1))
	f.Add("e", "secret", "[secret] e secret", uint(0))
	f.Add("ab", "b", "aabbab", uint(1))
	f.Add("*", "#", "***#[redacted]", uint(5))
	f.Add("12345", "", "port 12345", uint(2))
	f.Add("line one\nline two", "", "x line two y", uint(4))
	f.Fuzz(func(t *testing.T, s1, s2, text string, chunk uint) {
		r := newRedactor([]string{s1, s2})
		if r == nil {
			if s1 != "" || s2 != "" {
				t.Fatal("no redactor for a non-empty secret")
			}
			return
		}
		leaks := func(what, out string) {
			t.Helper()
			for _, s := range []string{s1, s2} {
				if s != "" && strings.Contains(out, s) {
					t.Fatalf("%s %q holds secret %q (secrets %q %q, text %q)", what, out, s, s1, s2, text)
				}
			}
		}
		leaks("str", r.str(text))
		leaks("err", r.err(errors.New(text)).Error())
		var c capture
		log := r.logger(slog.New(&c)).With(text, text).WithGroup(text)
		log.Info(text, text, text, "err", errors.New(text), "bytes", []byte(text), "n", 12345,
			"group", slog.GroupValue(slog.String(text, text)))
		for _, out := range c.out {
			leaks("log", out)
		}
		var b bytes.Buffer
		w := r.writer(&b)
		for i, rest, n := 0, text, int(chunk%7)+1; rest != ""; i++ {
			k := min(len(rest), (n+i)%8+1)
			if m, err := w.Write([]byte(rest[:k])); m != k || err != nil {
				t.Fatalf("Write: %d, %v", m, err)
			}
			rest = rest[k:]
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		leaks("stream", b.String())
		if !r.has(text) && b.String() != text {
			t.Fatalf("stream of %q without secrets wrote %q", text, b.String())
		}
	})
}

// capture is a slog.Handler that keeps every string a handler would print
// of what it is given: group names, attribute keys and values, messages.
type capture struct {
	pre []slog.Attr
	out []string
}

func (c *capture) Enabled(context.Context, slog.Level) bool { return true }

func (c *capture) Handle(_ context.Context, r slog.Record) error {
	c.out = append(c.out, r.Message)
	c.add(c.pre)
	r.Attrs(func(a slog.Attr) bool { c.add([]slog.Attr{a}); return true })
	return nil
}

func (c *capture) add(as []slog.Attr) {
	for _, a := range as {
		c.out = append(c.out, a.Key)
		v := a.Value.Resolve()
		switch v.Kind() {
		case slog.KindGroup:
			c.add(v.Group())
		case slog.KindAny:
			switch x := v.Any().(type) {
			case error:
				c.out = append(c.out, x.Error())
			case []byte:
				c.out = append(c.out, string(x))
			default:
				c.out = append(c.out, fmt.Sprint(x))
			}
		default:
			c.out = append(c.out, v.String())
		}
	}
}

func (c *capture) WithAttrs(as []slog.Attr) slog.Handler {
	c.pre = append(c.pre, as...)
	return c
}

func (c *capture) WithGroup(name string) slog.Handler {
	c.out = append(c.out, name)
	return c
}

// TestRedactHandler: the secret goes from every part of a record a
// handler prints.
func TestRedactHandler(t *testing.T) {
	const s = "hunter2-value"
	r := newRedactor([]string{s, ""})
	var b bytes.Buffer
	log := r.logger(slog.New(slog.NewJSONHandler(&b, nil))).With("with", "w "+s).WithGroup("g-" + s)
	log.Info("msg "+s, s, 1, "err", errors.New("e "+s), "bytes", []byte(s), "num", 0, "any", struct{ A string }{s},
		"dur", time.Duration(0), slog.Group("grp", "inner", s))
	out := b.String()
	if strings.Contains(out, s) {
		t.Fatalf("secret in %s", out)
	}
	if n := strings.Count(out, "[secret]"); n != 8 {
		t.Errorf("%d [secret] in %s, want 8", n, out)
	}
	if newRedactor([]string{"", ""}) != nil {
		t.Error("a redactor for empty secrets")
	}
	if r := newRedactor([]string{"e"}); r.mask != "***" || r.str("secret e") != "s***cr***t ***" {
		t.Errorf("a secret inside the mask: mask %q, %q", r.mask, r.str("secret e"))
	}
}

// TestRedactWriter: a secret split across writes is redacted whole; a
// multi-line secret printed a line at a time is redacted line by line.
func TestRedactWriter(t *testing.T) {
	const pem = "-----BEGIN KEY-----\nMIIBVgIBADANBgkqhkiG9w0BAQEFAASC\nshort\n-----END KEY-----"
	r := newRedactor([]string{"tok-123456", pem})
	var b bytes.Buffer
	w := r.writer(&b)
	for _, p := range []string{"a tok-1", "234", "56 b tok-12", "", "x\n", "MIIBVgIBADANBgkqhkiG9w0BAQEFAASC\nshort\nend tok"} {
		w.Write([]byte(p))
	}
	w.Flush()
	if want := "a [secret] b tok-12x\n[secret]\nshort\nend tok"; b.String() != want {
		t.Errorf("stream: %q, want %q", b.String(), want)
	}
}

func TestReadConfigFile(t *testing.T) {
	dir := t.TempDir()
	for content, want := range map[string]string{
		"v": "v", "v\n": "v", "v\r\n": "v", "v\n\n": "v\n", "": "", "\n": "", "a\nb": "a\nb",
	} {
		p := filepath.Join(dir, "f")
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		got, err := readConfigFile("k", p)
		if err != nil || got != want {
			t.Errorf("file %q: %q, %v; want %q", content, got, err, want)
		}
	}
	exact := filepath.Join(dir, "exact")
	if err := os.WriteFile(exact, bytes.Repeat([]byte("x"), MaxConfigFileBytes), 0o600); err != nil {
		t.Fatal(err)
	}
	if v, err := readConfigFile("k", exact); err != nil || len(v) != MaxConfigFileBytes {
		t.Errorf("a file of MaxConfigFileBytes: %d bytes, %v", len(v), err)
	}
}
