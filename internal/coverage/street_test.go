package coverage

import "testing"

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
