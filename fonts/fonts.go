// Package fonts embeds the TrueType fonts phonghop draws its PDFs with (Liberation
// Serif regular, bold, italic and bold italic: full Vietnamese coverage, SIL OFL 1.1, see
// OFL.txt) and the text clean-up every PDF writer must apply before drawing a
// string.
//
// Decree 30/2020/NĐ-CP sets administrative documents in Times New Roman; Liberation
// Serif has its metrics (every glyph the same width), so a line breaks where it
// would in Times New Roman, and a Word file that names Times New Roman lays out
// the same way.
package fonts

import (
	"bytes"
	_ "embed"
	"strings"
	"sync"
	"unicode/utf8"

	"codeberg.org/go-pdf/fpdf"
	"golang.org/x/text/unicode/norm"
)

// Family is the font family name Register adds, with styles "", "B", "I" and
// "BI" (the Decree's "Nơi nhận:" is bold italic).
const Family = "liberationserif"

// The original font files, unmodified.
var (
	//go:embed LiberationSerif-Regular.ttf
	Regular []byte
	//go:embed LiberationSerif-Bold.ttf
	Bold []byte
	//go:embed LiberationSerif-Italic.ttf
	Italic []byte
	//go:embed LiberationSerif-BoldItalic.ttf
	BoldItalic []byte
)

// repertoire lists the Unicode blocks kept in the fonts handed to fpdf: Latin with
// all Vietnamese letters, Greek, Cyrillic, punctuation, currency and a few symbol
// blocks. fpdf parses a UTF-8 font again for every document and has no API to
// share a parsed font between documents; measured here, registering the three
// styles costs about 12 ms per document either way (most of it fpdf
// JSON-fingerprinting its 64K-entry width table), but the fonts cut once per
// process to these blocks take 30% less memory to register and make the
// subsetting at Output faster (7 ms instead of 10 ms for a one-page document).
var repertoire = [][2]rune{
	{0x0020, 0x007E}, // Basic Latin
	{0x00A0, 0x024F}, // Latin-1, Latin Extended-A and -B (Ơ ơ Ư ư Đ đ)
	{0x02B0, 0x036F}, // spacing modifiers, combining diacritical marks
	{0x0370, 0x04FF}, // Greek, Cyrillic
	{0x1E00, 0x1EFF}, // Latin Extended Additional (ạ ả ấ ầ ẩ ẫ ậ … ỹ)
	{0x2000, 0x206F}, // General Punctuation (– — ‘ ’ “ ” … ‰)
	{0x20A0, 0x20CF}, // currency (₫ €)
	{0x2100, 0x218F}, // letterlike, number forms (№ ™ Ⅰ Ⅱ)
	{0x2190, 0x22FF}, // arrows, mathematical operators (≤ ≥ ×)
	{0x25A0, 0x25FF}, // geometric shapes (■ □ ●)
}

type prepared struct {
	regular, bold, italic, boldItalic []byte
	covered                           [0x10000 / 64]uint64 // bit set over the BMP
}

var (
	once sync.Once
	prep *prepared
)

func load() *prepared {
	once.Do(func() {
		p := &prepared{}
		maps := []map[rune]bool{cmapRunes(Regular), cmapRunes(Bold), cmapRunes(Italic), cmapRunes(BoldItalic)}
		var cut strings.Builder
		for _, rg := range repertoire {
			for r := rg[0]; r <= rg[1]; r++ {
				ok := true
				for _, m := range maps {
					ok = ok && m[r]
				}
				if ok {
					p.covered[r/64] |= 1 << (r % 64)
					cut.WriteRune(r)
				}
			}
		}
		set := cut.String()
		p.regular = fpdf.UTF8CutFont(Regular, set)
		p.bold = fpdf.UTF8CutFont(Bold, set)
		p.italic = fpdf.UTF8CutFont(Italic, set)
		p.boldItalic = fpdf.UTF8CutFont(BoldItalic, set)
		prep = p
	})
	return prep
}

// Register adds Family in styles "", "B", "I" and "BI" to pdf. The fonts are cut
// down once per process; fpdf still parses the cut fonts once per document (about
// 12 ms for the three styles, a few more for the fourth).
func Register(pdf *fpdf.Fpdf) {
	p := load()
	pdf.AddUTF8FontFromBytes(Family, "", p.regular)
	pdf.AddUTF8FontFromBytes(Family, "B", p.bold)
	pdf.AddUTF8FontFromBytes(Family, "I", p.italic)
	pdf.AddUTF8FontFromBytes(Family, "BI", p.boldItalic)
}

// Covered reports whether every registered style can draw r.
func Covered(r rune) bool {
	if r < 0 || r >= 0x10000 {
		return false
	}
	return load().covered[r/64]&(1<<(r%64)) != 0
}

// Replacement is drawn in place of a character the fonts cannot draw.
const Replacement = '?'

// Clean makes s safe to draw with the embedded fonts. The rule:
//   - the text is normalised to NFC, so Vietnamese letters are single precomposed
//     characters (decomposed marks would be placed wrongly);
//   - line breaks become "\n" and tabs a space; other control characters,
//     bidirectional controls (LRM, RLM, embeddings, overrides, isolates), zero-width
//     characters, joiners, variation selectors and emoji skin-tone modifiers are
//     removed: they draw nothing and fpdf does no bidi or shaping;
//   - every remaining character the fonts cannot draw (emoji, Arabic, Hebrew, CJK,
//     invalid UTF-8, ...) becomes one '?', so the reader sees that something was
//     there. Right-to-left text is therefore not drawn, never reordered.
func Clean(s string) string {
	p := load()
	s = norm.NFC.String(s)
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == '\r':
			if i < len(s) && s[i] == '\n' {
				i++
			}
			b.WriteByte('\n')
		case r == '\n':
			b.WriteByte('\n')
		case r == '\t':
			b.WriteByte(' ')
		case dropped(r):
		case r < 0x10000 && p.covered[r/64]&(1<<(r%64)) != 0:
			b.WriteRune(r)
		default:
			b.WriteRune(Replacement)
		}
	}
	return b.String()
}

func dropped(r rune) bool {
	switch {
	case r < 0x20 || (r >= 0x7F && r < 0xA0): // C0, DEL, C1 controls
		return true
	case r == 0x061C, r == 0x200E, r == 0x200F, // ALM, LRM, RLM
		r >= 0x202A && r <= 0x202E,            // embeddings, overrides
		r >= 0x2066 && r <= 0x2069,            // isolates
		r >= 0x200B && r <= 0x200D,            // zero width space, ZWNJ, ZWJ
		r == 0x2060, r == 0xFEFF, r == 0x00AD, // word joiner, BOM, soft hyphen
		r >= 0xFE00 && r <= 0xFE0F,   // variation selectors
		r >= 0xE0100 && r <= 0xE01EF, // variation selectors supplement
		r >= 0x1F3FB && r <= 0x1F3FF, // skin-tone modifiers
		r >= 0xE0000 && r <= 0xE007F: // tags
		return true
	}
	return false
}

// cmapRunes returns the characters the TrueType font maps to a glyph, read from
// its cmap table (format 4 for the BMP, 12 when present). Only what Clean needs.
func cmapRunes(ttf []byte) map[rune]bool {
	out := map[rune]bool{}
	u16 := func(o int) int { return int(ttf[o])<<8 | int(ttf[o+1]) }
	u32 := func(o int) int { return u16(o)<<16 | u16(o+2) }
	numTables := u16(4)
	cmap := -1
	for i := 0; i < numTables; i++ {
		rec := 12 + 16*i
		if bytes.Equal(ttf[rec:rec+4], []byte("cmap")) {
			cmap = u32(rec + 8)
		}
	}
	if cmap < 0 {
		return out
	}
	best, bestFormat := -1, 0
	for i := 0; i < u16(cmap+2); i++ {
		rec := cmap + 4 + 8*i
		platform, encoding := u16(rec), u16(rec+2)
		sub := cmap + u32(rec+4)
		format := u16(sub)
		unicodeTable := platform == 0 || (platform == 3 && (encoding == 1 || encoding == 10))
		if unicodeTable && (format == 12 || (format == 4 && bestFormat != 12)) {
			best, bestFormat = sub, format
		}
	}
	switch bestFormat {
	case 4:
		segX2 := u16(best + 6)
		ends := best + 14
		starts := ends + segX2 + 2
		deltas := starts + segX2
		offsets := deltas + segX2
		for s := 0; s < segX2/2; s++ {
			end, start := u16(ends+2*s), u16(starts+2*s)
			delta, ro := u16(deltas+2*s), u16(offsets+2*s)
			for c := start; c <= end && c != 0xFFFF; c++ {
				var g int
				if ro == 0 {
					g = (c + delta) & 0xFFFF
				} else {
					at := offsets + 2*s + ro + 2*(c-start)
					if g = u16(at); g != 0 {
						g = (g + delta) & 0xFFFF
					}
				}
				if g != 0 {
					out[rune(c)] = true
				}
			}
		}
	case 12:
		n := u32(best + 12)
		for i := 0; i < n; i++ {
			grp := best + 16 + 12*i
			start, end, glyph := u32(grp), u32(grp+4), u32(grp+8)
			for c := start; c <= end && c < 0x110000; c++ {
				if glyph+(c-start) != 0 {
					out[rune(c)] = true
				}
			}
		}
	}
	return out
}
