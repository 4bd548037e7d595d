package counter

import (
	"errors"
	"math"
	"strconv"
	"testing"

	"github.com/wasmhive/wasmhive/capability/keyvalue"
)

func TestParse(t *testing.T) {
	for _, ok := range []string{"0", "1", "-1", "42", "9223372036854775807", "-9223372036854775808"} {
		n, err := Parse([]byte(ok))
		if err != nil || strconv.FormatInt(n, 10) != ok {
			t.Errorf("Parse(%q) = %d, %v", ok, n, err)
		}
	}
	for _, bad := range []string{"", " 1", "1 ", "+1", "01", "-0", "1.5", "0x10", "abc", "9223372036854775808", "-9223372036854775809", "１"} {
		if _, err := Parse([]byte(bad)); !errors.Is(err, keyvalue.ErrNotInteger) {
			t.Errorf("Parse(%q): %v, want ErrNotInteger", bad, err)
		}
	}
}

func TestAdd(t *testing.T) {
	for _, c := range []struct{ v, d, want int64 }{{1, 2, 3}, {-5, 3, -2}, {math.MaxInt64, 0, math.MaxInt64}, {math.MaxInt64, -1, math.MaxInt64 - 1}, {math.MinInt64, 1, math.MinInt64 + 1}, {-1, math.MinInt64 + 1, math.MinInt64}} {
		if got, err := Add(c.v, c.d); err != nil || got != c.want {
			t.Errorf("Add(%d, %d) = %d, %v", c.v, c.d, got, err)
		}
	}
	for _, c := range [][2]int64{{math.MaxInt64, 1}, {math.MinInt64, -1}, {math.MinInt64, math.MinInt64}, {1, math.MaxInt64}} {
		if _, err := Add(c[0], c[1]); !errors.Is(err, keyvalue.ErrOverflow) {
			t.Errorf("Add(%d, %d): %v, want ErrOverflow", c[0], c[1], err)
		}
	}
}

// FuzzParse: Parse accepts exactly the texts FormatInt writes.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"0", "-1", "+1", "007", "-0", "9223372036854775808", ""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		n, err := Parse(b)
		if err == nil && strconv.FormatInt(n, 10) != string(b) {
			t.Fatalf("Parse(%q) = %d, which formats differently", b, n)
		}
		if err != nil {
			if v, perr := strconv.ParseInt(string(b), 10, 64); perr == nil && strconv.FormatInt(v, 10) == string(b) {
				t.Fatalf("Parse(%q) refused canonical %d", b, v)
			}
		}
	})
}
