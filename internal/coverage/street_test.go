package coverage

import (
	"fmt"
	"sync"
	"testing"
)

func TestStreetKey(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"Via Roma", "VIA ROMA"},
		{"V. Roma", "VIA ROMA"},
		{"V Roma", "VIA ROMA"},
		{"  via   roma ", "VIA ROMA"},
		{"P.ZA Garibaldi", "PIAZZA GARIBALDI"},
		{"P.zza Garibaldi", "PIAZZA GARIBALDI"},
		{"p. zza garibaldi", "PIAZZA GARIBALDI"},
		{"PZA GARIBALDI", "PIAZZA GARIBALDI"},
		{"Piazza Garibaldi", "PIAZZA GARIBALDI"},
		{"V.le Santa Maria della Croce", "VIALE S MARIA DELLA CROCE"},
		{"Viale S. Maria della Croce", "VIALE S MARIA DELLA CROCE"},
		{"C.so Matteotti", "CORSO MATTEOTTI"},
		{"Via Sant'Agostino", "VIA SANT AGOSTINO"},
		{"Via Sant’Agostino", "VIA SANT AGOSTINO"},
		{"Via D'Annunzio", "VIA D ANNUNZIO"},
		{"Via Libertà", "VIA LIBERTA"},
		{"VIA LIBERTA'", "VIA LIBERTA"},
		{"Largo Dossena", "LARGO DOSSENA"},
		{"L.go Dossena", "LARGO DOSSENA"},
		{"Via Vittorio Emanuele II", "VIA VITTORIO EMANUELE II"},
		{"Via XX Settembre", "VIA XX SETTEMBRE"},
		{"Loc. Cascina Nuova", "LOCALITA CASCINA NUOVA"},
		{"Vicolo Stretto", "VICOLO STRETTO"},
		{"Vittorio V", "VITTORIO V"},
	}
	for _, tt := range tests {
		if got := StreetKey(tt.in); got != tt.want {
			t.Errorf("StreetKey(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzStreetKey(f *testing.F) {
	for _, s := range []string{"Via Roma", "P.ZA Garibaldi", "V.le S. Maria", "Sant'Agostino", "Libertà", "", "....", "V", "ÀÉÌ"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k := StreetKey(s)
		if again := StreetKey(k); again != k {
			t.Fatalf("StreetKey not idempotent: %q -> %q -> %q", s, k, again)
		}
		for _, r := range k {
			if !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == ' ') {
				t.Fatalf("StreetKey(%q) = %q has %q", s, k, r)
			}
		}
	})
}

// TestStreetKeyConcurrent runs StreetKey from many goroutines at once, as
// concurrent searches, address lookups and an import do, and compares each
// key with the one computed alone. The shared transformer it once used made
// keys wrong or panicked (slice bounds out of range in stripAccents); the
// race detector (make test runs with -race) also reports it.
func TestStreetKeyConcurrent(t *testing.T) {
	t.Parallel()
	inputs := []string{"Via Libertà", "Piazza Città", "VIA LIBERTA'", "Via Niccolò Tommaseo", "Via Sant’Agostino",
		"Località Cà de' Fré", "Viale Àèìòù", "V. Roma", "Via Lodi", "Largo Dossena", "Via Gesù", "Corso Umberto Iº"}
	want := make([]string, len(inputs))
	for i, s := range inputs {
		want[i] = StreetKey(s)
	}
	const goroutines, rounds = 32, 200
	errs := make(chan string, goroutines)
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			defer func() {
				if r := recover(); r != nil {
					errs <- fmt.Sprintf("goroutine %d: panic: %v", g, r)
				}
			}()
			for n := range rounds {
				i := (g + n) % len(inputs)
				if got := StreetKey(inputs[i]); got != want[i] {
					errs <- fmt.Sprintf("goroutine %d: StreetKey(%q) = %q, want %q (computed alone)", g, inputs[i], got, want[i])
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}
