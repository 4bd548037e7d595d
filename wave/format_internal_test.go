package wave

import (
	"math"
	"math/rand"
	"strconv"
	"testing"
)

// TestFormatFloatShortest checks formatFloat against strconv's shortest
// fixed form: they differ only where f is halfway between two shortest
// forms, and what formatFloat writes always reads back as f.
func TestFormatFloatShortest(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	ties := 0
	for i := 0; i < 40000; i++ {
		var f float64
		bits := 64
		switch i % 4 {
		case 0:
			f = math.Float64frombits(rng.Uint64())
		case 1:
			f, bits = float64(math.Float32frombits(rng.Uint32())), 32
		case 2:
			f = float64(rng.Int63n(1<<53)) / float64(int64(1)<<uint(rng.Intn(60)))
		default:
			f, bits = float64(float32(float64(rng.Int63n(1<<24))/float64(int64(1)<<uint(rng.Intn(30))))), 32
		}
		if math.IsNaN(f) || math.IsInf(f, 0) {
			continue
		}
		got := formatFloat(f, bits)
		back, err := strconv.ParseFloat(got, bits)
		if err != nil || back != f {
			t.Fatalf("formatFloat(%v, %d) = %q, which reads back as %v, %v", f, bits, got, back, err)
		}
		if want := strconv.FormatFloat(f, 'f', -1, bits); got != want {
			ties++
			if len(got) != len(want) && !(len(got) == len(want)-1 || len(got) == len(want)+1) {
				t.Fatalf("formatFloat(%v, %d) = %q, strconv says %q", f, bits, got, want)
			}
		}
	}
	if ties == 0 {
		t.Errorf("no ties seen")
	}
}
