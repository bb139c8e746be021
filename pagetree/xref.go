package pagetree

import (
	"bytes"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
)

// Limits on what a hostile file can make the reader do.
const (
	maxObjectBytes = 4 << 20  // one object outside streams
	maxStreamBytes = 32 << 20 // all cross-reference and object streams read, raw plus decoded
	maxSections    = 1000     // cross-reference sections chained by /Prev
	maxObjects     = 10_000_000
	maxEntries     = 1 << 20 // objects listed by all sections together
)

type entry struct {
	typ byte  // 1: at off in the file; 2: number idx in object stream stm
	off int64 // typ 1
	gen int   // typ 1
	stm int   // typ 2
	idx int   // typ 2
}

// file is a PDF opened through its cross-reference sections.
type file struct {
	r       io.ReaderAt
	size    int64
	entries map[int]entry
	trailer *dict // the newest trailer (or cross-reference stream dictionary)
	newest  int64 // offset of the newest cross-reference section
	stream  bool  // the newest section is a cross-reference stream
	maxNum  int
	objs    map[int]object
	stms    map[int]*objStream
	busy    map[int]bool // objects being resolved, against reference loops
	streams int64        // stream bytes read and decoded so far (see maxStreamBytes)
}

type objStream struct {
	data    []byte
	first   int
	offsets map[int]int // object number → offset after first
}

func open(r io.ReaderAt, size int64) (*file, error) {
	f := &file{r: r, size: size, entries: map[int]entry{}, objs: map[int]object{}, stms: map[int]*objStream{}, busy: map[int]bool{}}
	start, err := f.startXref()
	if err != nil {
		return nil, err
	}
	f.newest = start
	seen := map[int64]bool{}
	queue := []int64{start}
	for len(queue) > 0 {
		off := queue[0]
		queue = queue[1:]
		if seen[off] {
			continue
		}
		if len(seen) >= maxSections {
			return nil, errors.New("pagetree: too many cross-reference sections")
		}
		seen[off] = true
		trailer, isStream, err := f.section(off)
		if err != nil {
			return nil, err
		}
		if f.trailer == nil {
			f.trailer, f.stream = trailer, isStream
		}
		// A hybrid file's stream comes before the older sections.
		if n, ok := integer(trailer.get("XRefStm")); ok {
			queue = append([]int64{n}, queue...)
		}
		if n, ok := integer(trailer.get("Prev")); ok {
			queue = append(queue, n)
		}
	}
	if n, ok := integer(f.trailer.get("Size")); ok && int(n)-1 > f.maxNum && n <= maxObjects {
		f.maxNum = int(n) - 1
	}
	return f, nil
}

func (f *file) read(off int64, n int) ([]byte, error) {
	if off < 0 || off >= f.size {
		return nil, fmt.Errorf("pagetree: offset %d outside the file", off)
	}
	n = int(min(int64(n), f.size-off))
	b := make([]byte, n)
	m, err := f.r.ReadAt(b, off)
	if m == n {
		return b, nil
	}
	return nil, err
}

// parseAt parses from off with a window that grows until fn has what it needs.
func (f *file) parseAt(off int64, limit int, fn func(p *parser) error) error {
	for n := 1024; ; n *= 4 {
		b, err := f.read(off, n)
		if err != nil {
			return err
		}
		err = fn(&parser{b: b})
		if !errors.Is(err, errShort) || len(b) < n || n >= limit {
			return err
		}
	}
}

func (f *file) startXref() (int64, error) {
	tail := int64(min(f.size, 2048))
	b, err := f.read(f.size-tail, int(tail))
	if err != nil {
		return 0, err
	}
	i := bytes.LastIndex(b, []byte("startxref"))
	if i < 0 {
		return 0, errors.New("pagetree: no startxref")
	}
	p := &parser{b: append(b[i+len("startxref"):], ' ')}
	n, err := p.uint()
	if err != nil {
		return 0, fmt.Errorf("pagetree: startxref: %w", err)
	}
	return n, nil
}

func (f *file) add(num int, e entry) {
	if num <= 0 || num >= maxObjects {
		return
	}
	if _, ok := f.entries[num]; !ok {
		f.entries[num] = e
		f.maxNum = max(f.maxNum, num)
	}
}

// section reads the cross-reference section at off (a table or a stream) and
// returns its trailer.
func (f *file) section(off int64) (*dict, bool, error) {
	head, err := f.read(off, 16)
	if err != nil {
		return nil, false, err
	}
	if bytes.HasPrefix(bytes.TrimLeft(head, " \r\n\t\f\x00"), []byte("xref")) {
		d, err := f.table(off)
		return d, false, err
	}
	d, err := f.xrefStream(off)
	return d, true, err
}

func (f *file) table(off int64) (*dict, error) {
	var trailer *dict
	found := map[int]entry{}
	err := f.parseAt(off, maxStreamBytes, func(p *parser) error {
		clear(found)
		if err := p.keyword("xref"); err != nil {
			return err
		}
		for {
			p.skipSpace()
			if bytes.HasPrefix(p.b[p.pos:], []byte("trailer")) {
				p.pos += len("trailer")
				o, err := p.object(0)
				if err != nil {
					return err
				}
				d, ok := o.(*dict)
				if !ok {
					return fmt.Errorf("%w: trailer is not a dictionary", errSyntax)
				}
				trailer = d
				return nil
			}
			start, err := p.uint()
			if err != nil {
				return err
			}
			count, err := p.uint()
			if err != nil {
				return err
			}
			if start+count > maxObjects || int64(len(found))+count > maxEntries {
				return fmt.Errorf("%w: cross-reference subsection too large", errSyntax)
			}
			for i := range count {
				o, err := p.uint()
				if err != nil {
					return err
				}
				g, err := p.uint()
				if err != nil {
					return err
				}
				p.skipSpace()
				if p.pos >= len(p.b) {
					return errShort
				}
				kind := p.b[p.pos]
				p.pos++
				if kind != 'n' && kind != 'f' {
					return fmt.Errorf("%w: cross-reference entry", errSyntax)
				}
				if kind == 'n' {
					found[int(start+i)] = entry{typ: 1, off: o, gen: int(g)}
				}
			}
		}
	})
	if err != nil {
		return nil, fmt.Errorf("pagetree: cross-reference table at %d: %w", off, err)
	}
	for num, e := range found {
		f.add(num, e)
	}
	if len(f.entries) > maxEntries {
		return nil, errors.New("pagetree: too many objects")
	}
	return trailer, nil
}

func (f *file) xrefStream(off int64) (*dict, error) {
	d, data, err := f.streamAt(off, -1)
	if err != nil {
		return nil, fmt.Errorf("pagetree: cross-reference stream at %d: %w", off, err)
	}
	if !d.isType("XRef") {
		return nil, fmt.Errorf("pagetree: no cross-reference section at %d", off)
	}
	wa, ok := d.get("W").(array)
	if !ok || len(wa) != 3 {
		return nil, errors.New("pagetree: cross-reference stream without /W")
	}
	var w [3]int
	for i, o := range wa {
		n, ok := integer(o)
		if !ok || n < 0 || n > 8 {
			return nil, errors.New("pagetree: bad /W")
		}
		w[i] = int(n)
	}
	size, _ := integer(d.get("Size"))
	index := []int64{0, size}
	if ia, ok := d.get("Index").(array); ok {
		index = index[:0]
		for _, o := range ia {
			n, ok := integer(o)
			if !ok || n < 0 || n > maxObjects {
				return nil, errors.New("pagetree: bad /Index")
			}
			index = append(index, n)
		}
		if len(index)%2 != 0 {
			return nil, errors.New("pagetree: bad /Index")
		}
	}
	field := func(b []byte) int64 {
		var n int64
		for _, c := range b {
			n = n<<8 | int64(c)
		}
		return n
	}
	rec := w[0] + w[1] + w[2]
	if rec == 0 {
		return nil, errors.New("pagetree: bad /W")
	}
	pos := 0
	for i := 0; i < len(index); i += 2 {
		for num := index[i]; num < index[i]+index[i+1]; num++ {
			if pos+rec > len(data) {
				return nil, errors.New("pagetree: cross-reference stream too short")
			}
			b := data[pos : pos+rec]
			pos += rec
			typ := int64(1)
			if w[0] > 0 {
				typ = field(b[:w[0]])
			}
			f2, f3 := field(b[w[0]:w[0]+w[1]]), field(b[w[0]+w[1]:])
			switch typ {
			case 1:
				f.add(int(num), entry{typ: 1, off: f2, gen: int(f3)})
			case 2:
				f.add(int(num), entry{typ: 2, stm: int(f2), idx: int(f3)})
			}
			if len(f.entries) > maxEntries {
				return nil, errors.New("pagetree: too many objects")
			}
		}
	}
	return d, nil
}

// objectAt parses the indirect object at off. want is its expected number
// (-1: any). For a stream, it also returns where the data starts.
func (f *file) objectAt(off int64, want int) (object, int64, error) {
	var obj object
	var dataAt int64 = -1
	err := f.parseAt(off, maxObjectBytes, func(p *parser) error {
		num, err := p.uint()
		if err != nil {
			return err
		}
		if want >= 0 && int(num) != want {
			return fmt.Errorf("%w: object %d found where %d was expected", errSyntax, num, want)
		}
		if _, err := p.uint(); err != nil {
			return err
		}
		if err := p.keyword("obj"); err != nil {
			return err
		}
		if obj, err = p.object(0); err != nil {
			return err
		}
		p.skipSpace()
		if _, ok := obj.(*dict); ok && bytes.HasPrefix(p.b[p.pos:], []byte("stream")) {
			p.pos += len("stream")
			if p.pos < len(p.b) && p.b[p.pos] == '\r' {
				p.pos++
			}
			if p.pos >= len(p.b) {
				return errShort
			}
			if p.b[p.pos] == '\n' {
				p.pos++
			}
			dataAt = off + int64(p.pos)
		}
		return nil
	})
	return obj, dataAt, err
}

// streamAt reads the stream object at off and returns its dictionary and
// decoded data.
func (f *file) streamAt(off int64, want int) (*dict, []byte, error) {
	o, dataAt, err := f.objectAt(off, want)
	if err != nil {
		return nil, nil, err
	}
	d, ok := o.(*dict)
	if !ok || dataAt < 0 {
		return nil, nil, errors.New("not a stream")
	}
	lo, err := f.resolve(d.get("Length"))
	if err != nil {
		return nil, nil, err
	}
	n, ok := integer(lo)
	if !ok || n < 0 {
		return nil, nil, errors.New("bad stream /Length")
	}
	if f.streams+n > maxStreamBytes {
		return nil, nil, errors.New("too many stream bytes to read")
	}
	raw, err := f.read(dataAt, int(n))
	if err != nil || int64(len(raw)) != n {
		return nil, nil, errors.New("stream runs past the end of the file")
	}
	f.streams += n
	data, err := decode(d, raw, maxStreamBytes-f.streams)
	f.streams += int64(len(data))
	return d, data, err
}

// decode undoes the filters cross-reference and object streams use: none,
// or FlateDecode with an optional PNG predictor. It gives up past limit bytes.
func decode(d *dict, raw []byte, limit int64) ([]byte, error) {
	filter := d.get("Filter")
	parms := d.get("DecodeParms")
	if a, ok := filter.(array); ok {
		if len(a) > 1 {
			return nil, errors.New("more than one filter")
		}
		if len(a) == 1 {
			filter = a[0]
		} else {
			filter = nil
		}
		if pa, ok := parms.(array); ok && len(pa) == 1 {
			parms = pa[0]
		}
	}
	if filter == nil {
		return raw, nil
	}
	if filter != name("FlateDecode") {
		return nil, fmt.Errorf("unsupported filter %v", filter)
	}
	zr, err := zlib.NewReader(bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(zr, limit+1))
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, errors.New("too many stream bytes to decode")
	}
	pd, _ := parms.(*dict)
	if pd == nil {
		return data, nil
	}
	pred, _ := integer(pd.get("Predictor"))
	if pred <= 1 {
		return data, nil
	}
	if pred < 10 {
		return nil, fmt.Errorf("unsupported predictor %d", pred)
	}
	cols, ok := integer(pd.get("Columns"))
	if !ok {
		cols = 1
	}
	colors, ok := integer(pd.get("Colors"))
	if !ok {
		colors = 1
	}
	bpc, ok := integer(pd.get("BitsPerComponent"))
	if !ok {
		bpc = 8
	}
	if cols < 1 || colors < 1 || bpc < 1 || cols*colors*bpc > 1<<20 {
		return nil, errors.New("bad predictor parameters")
	}
	return unpredict(data, int((cols*colors*bpc+7)/8), int(max(1, colors*bpc/8)))
}

// unpredict reverses PNG row filters (RFC 2083 §6).
func unpredict(data []byte, row, bpp int) ([]byte, error) {
	stride := row + 1
	out := make([]byte, 0, len(data)/stride*row)
	prev := make([]byte, row)
	for len(data) >= stride {
		kind, cur := data[0], data[1:stride]
		data = data[stride:]
		for i := range cur {
			var a, c byte
			if i >= bpp {
				a, c = cur[i-bpp], prev[i-bpp]
			}
			b := prev[i]
			switch kind {
			case 0:
			case 1:
				cur[i] += a
			case 2:
				cur[i] += b
			case 3:
				cur[i] += byte((int(a) + int(b)) / 2)
			case 4:
				cur[i] += paeth(a, b, c)
			default:
				return nil, fmt.Errorf("bad PNG filter %d", kind)
			}
		}
		out = append(out, cur...)
		prev = cur
	}
	return out, nil
}

func paeth(a, b, c byte) byte {
	p := int(a) + int(b) - int(c)
	pa, pb, pc := abs(p-int(a)), abs(p-int(b)), abs(p-int(c))
	if pa <= pb && pa <= pc {
		return a
	}
	if pb <= pc {
		return b
	}
	return c
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// get returns object num, wherever it lives.
func (f *file) get(num int) (object, error) {
	if o, ok := f.objs[num]; ok {
		return o, nil
	}
	e, ok := f.entries[num]
	if !ok {
		return nil, fmt.Errorf("pagetree: object %d is not in the cross-reference table", num)
	}
	if f.busy[num] {
		return nil, fmt.Errorf("pagetree: object %d refers to itself", num)
	}
	f.busy[num] = true
	defer delete(f.busy, num)
	var o object
	var err error
	switch e.typ {
	case 1:
		o, _, err = f.objectAt(e.off, num)
	case 2:
		o, err = f.inStream(num, e)
	}
	if err != nil {
		return nil, fmt.Errorf("pagetree: object %d: %w", num, err)
	}
	f.objs[num] = o
	return o, nil
}

func (f *file) inStream(num int, e entry) (object, error) {
	s, ok := f.stms[e.stm]
	if !ok {
		se, ok := f.entries[e.stm]
		if !ok || se.typ != 1 {
			return nil, fmt.Errorf("object stream %d not found", e.stm)
		}
		d, data, err := f.streamAt(se.off, e.stm)
		if err != nil {
			return nil, fmt.Errorf("object stream %d: %w", e.stm, err)
		}
		n, ok1 := integer(d.get("N"))
		first, ok2 := integer(d.get("First"))
		if !ok1 || !ok2 || n < 0 || first < 0 || first > int64(len(data)) || n > int64(len(data)) {
			return nil, fmt.Errorf("object stream %d: bad /N or /First", e.stm)
		}
		s = &objStream{data: data, first: int(first), offsets: map[int]int{}}
		// A space after the header lets the parser see the end of its last number.
		p := &parser{b: append(data[:first:first], ' ')}
		for range n {
			on, err1 := p.uint()
			oo, err2 := p.uint()
			if err1 != nil || err2 != nil {
				return nil, fmt.Errorf("object stream %d: bad header", e.stm)
			}
			s.offsets[int(on)] = int(oo)
		}
		f.stms[e.stm] = s
	}
	at, ok := s.offsets[num]
	if !ok || s.first+at > len(s.data) {
		return nil, fmt.Errorf("not in object stream %d", e.stm)
	}
	o, err := (&parser{b: s.data[s.first+at:]}).object(0)
	if errors.Is(err, errShort) {
		// A number ending the stream: a trailing space lets the parser see its end.
		o, err = (&parser{b: append(s.data[s.first+at:len(s.data):len(s.data)], ' ')}).object(0)
	}
	return o, err
}

// resolve follows o if it is a reference.
func (f *file) resolve(o object) (object, error) {
	if r, ok := o.(ref); ok {
		return f.get(r.num)
	}
	return o, nil
}
