// Package pagetree makes a PDF's page tree quick to reach for readers that load
// the file by range.
//
// pdf.js looks up the last page before it shows the first, walking the page tree
// from its root; with a flat tree whose page dictionaries are spread through a
// 50 MB scan, that is a range request per page before anything is painted. Build
// returns an incremental update (ISO 32000-1 §7.5.6) which, appended to the
// file, redefines the tree's root, adds balanced intermediate nodes and redefines
// every page dictionary, all in one run beside the new cross-reference section
// that readers fetch first. The file's own bytes stay an unchanged prefix:
// earlier revisions, object numbers and everything that points at a page still
// hold. (A signature's bytes are untouched too, but viewers that check
// signatures report the change, so the update is for viewing copies.)
package pagetree

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
)

const (
	// fanout is the most kids a node of the rebuilt tree has: a lookup reads
	// one node per level, a few hundred bytes each.
	fanout = 32
	// maxPages bounds the work a hostile file can cause.
	maxPages = 200_000
)

// compactSpan: page trees whose objects all lie within this many bytes are
// read with a few range requests already, and are left alone. (A variable so
// tests can rebuild small files.)
var compactSpan int64 = 256 << 10

// The attributes a page inherits from its ancestors (ISO 32000-1 §7.7.3.4).
// Each rebuilt page carries them itself, since its new parents do not.
var inheritable = []name{"Resources", "MediaBox", "CropBox", "Rotate"}

// Result is what Build found.
type Result struct {
	// Pages is the number of pages in the page tree, exact.
	Pages int
	// Update is the incremental update to append, or nil when the file is best
	// left as it is; Reason then says why.
	Update []byte
	Reason string
}

// Build reads the PDF in r (size bytes) and returns the update that rebuilds its
// page tree. An error means the page tree could not be read (a damaged or
// unusual file); the file is then best stored as it came.
func Build(r io.ReaderAt, size int64) (Result, error) {
	f, err := open(r, size)
	if err != nil {
		return Result{}, err
	}
	t, err := f.pageTree()
	if err != nil {
		return Result{}, err
	}
	res := Result{Pages: len(t.leaves)}
	if res.Reason = f.leaveAlone(t); res.Reason != "" {
		return res, nil
	}
	last, err := f.read(size-1, 1)
	if err != nil {
		return Result{}, err
	}
	upd := t.update(f, size, last[0])
	if err := verify(r, size, upd, t); err != nil {
		// A bug here must not damage a document: store it as it came.
		res.Reason = "the rebuilt tree did not read back: " + err.Error()
		return res, nil
	}
	res.Update = upd
	return res, nil
}

type page struct {
	ref ref
	d   *dict // its dictionary, inherited attributes included
}

type tree struct {
	root  ref
	node  *dict // the root node's dictionary
	nodes []ref // every intermediate node, the root included
	pages []page
	// leaves is pages in order (kept apart so verify can compare them)
	leaves []ref
}

func (f *file) catalog() (*dict, error) {
	o, err := f.resolve(f.trailer.get("Root"))
	if err != nil {
		return nil, err
	}
	d, ok := o.(*dict)
	if !ok {
		return nil, errors.New("pagetree: no document catalog")
	}
	return d, nil
}

func (f *file) pageTree() (*tree, error) {
	cat, err := f.catalog()
	if err != nil {
		return nil, err
	}
	root, ok := cat.get("Pages").(ref)
	if !ok {
		return nil, errors.New("pagetree: the page tree's root is not an indirect object")
	}
	t := &tree{root: root}
	seen := map[int]bool{}
	var walk func(r ref, inh *dict, depth int) error
	walk = func(r ref, inh *dict, depth int) error {
		if depth > maxDepth {
			return errors.New("pagetree: page tree too deep")
		}
		if seen[r.num] {
			return fmt.Errorf("pagetree: object %d appears twice in the page tree", r.num)
		}
		seen[r.num] = true
		o, err := f.get(r.num)
		if err != nil {
			return err
		}
		d, ok := o.(*dict)
		if !ok {
			return fmt.Errorf("pagetree: page tree object %d is not a dictionary", r.num)
		}
		ko, err := f.resolve(d.get("Kids"))
		if err != nil {
			return err
		}
		kids, hasKids := ko.(array)
		if !d.isType("Pages") && (d.get("Type") != nil || !hasKids) {
			if depth == 0 {
				return errors.New("pagetree: the page tree's root is not a /Pages node")
			}
			if len(t.pages) >= maxPages {
				return errors.New("pagetree: too many pages")
			}
			p := d.clone()
			for _, k := range inheritable {
				if v := inh.get(k); v != nil && p.get(k) == nil {
					p.set(k, v)
				}
			}
			t.pages = append(t.pages, page{ref: r, d: p})
			t.leaves = append(t.leaves, r)
			return nil
		}
		if !hasKids {
			return fmt.Errorf("pagetree: /Pages node %d has no /Kids", r.num)
		}
		if depth == 0 {
			t.node = d
		}
		t.nodes = append(t.nodes, r)
		next := inh
		for _, k := range inheritable {
			if v := d.get(k); v != nil {
				if next == inh {
					next = inh.clone()
				}
				next.set(k, v)
			}
		}
		for _, kid := range kids {
			kr, ok := kid.(ref)
			if !ok {
				return fmt.Errorf("pagetree: /Pages node %d has a kid that is not an indirect object", r.num)
			}
			if err := walk(kr, next, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(root, &dict{}, 0); err != nil {
		return nil, err
	}
	return t, nil
}

// leaveAlone says why the file should be stored as it came, or "".
func (f *file) leaveAlone(t *tree) string {
	if f.trailer.get("Encrypt") != nil {
		// New objects would have to be encrypted with the document's key.
		return "encrypted"
	}
	if len(t.pages) == 0 {
		return "no pages"
	}
	lo, hi := f.size, int64(-1)
	for _, r := range append(append([]ref(nil), t.nodes...), t.leaves...) {
		e := f.entries[r.num]
		off := e.off
		if e.typ == 2 {
			off = f.entries[e.stm].off
		}
		lo, hi = min(lo, off), max(hi, off)
	}
	if hi-lo <= compactSpan {
		return "page tree already compact"
	}
	return ""
}

// item is a node or a page of the rebuilt tree.
type item struct {
	ref    ref
	count  int
	parent ref
	kids   []item
}

func count(n int) token { return token(strconv.Itoa(n)) }

// update writes the incremental update: the root node, the new intermediate
// nodes top down, the pages in order, then the cross-reference section.
func (t *tree) update(f *file, size int64, last byte) []byte {
	var out bytes.Buffer
	if last != '\n' && last != '\r' {
		out.WriteByte('\n')
	}
	offsets := map[int]int64{}
	gens := map[int]int{}
	put := func(r ref, d *dict) {
		offsets[r.num] = size + int64(out.Len())
		gens[r.num] = r.gen
		fmt.Fprintf(&out, "%d %d obj\n", r.num, r.gen)
		write(&out, d)
		out.WriteString("\nendobj\n")
	}

	next := f.maxNum + 1
	level := make([]item, len(t.pages))
	for i, p := range t.pages {
		level[i] = item{ref: p.ref, count: 1}
	}
	var levels [][]item // bottom up, pages excluded
	for len(level) > fanout {
		var up []item
		for i := 0; i < len(level); i += fanout {
			n := item{ref: ref{next, 0}, kids: level[i:min(i+fanout, len(level))]}
			next++
			for j := range n.kids {
				n.kids[j].parent = n.ref
				n.count += n.kids[j].count
			}
			up = append(up, n)
		}
		levels = append(levels, up)
		level = up
	}
	kids := func(items []item) array {
		a := make(array, len(items))
		for i, it := range items {
			a[i] = it.ref
		}
		return a
	}
	root := t.node.clone()
	root.set("Kids", kids(level))
	root.set("Count", count(len(t.pages)))
	put(t.root, root)
	for i := range level {
		level[i].parent = t.root
	}
	// Pages take their parents from the lowest level of new nodes, if any.
	parentOf := make([]ref, len(t.pages))
	for i := range parentOf {
		parentOf[i] = t.root
	}
	for l := len(levels) - 1; l >= 0; l-- {
		for _, n := range levels[l] {
			put(n.ref, &dict{keys: []name{"Type", "Parent", "Kids", "Count"},
				vals: []object{name("Pages"), n.parent, kids(n.kids), count(n.count)}})
		}
	}
	if len(levels) > 0 {
		i := 0
		for _, n := range levels[0] {
			for range n.kids {
				parentOf[i] = n.ref
				i++
			}
		}
	}
	for i, p := range t.pages {
		d := p.d.clone()
		d.set("Parent", parentOf[i])
		put(p.ref, d)
	}

	xrefAt := size + int64(out.Len())
	trailer := &dict{}
	for _, k := range []name{"Root", "Info", "ID"} {
		if v := f.trailer.get(k); v != nil {
			trailer.set(k, v)
		}
	}
	trailer.set("Prev", token(strconv.FormatInt(f.newest, 10)))
	if f.stream {
		// Keep to the file's kind of cross-reference section.
		self := ref{next, 0}
		next++
		offsets[self.num] = xrefAt
		gens[self.num] = 0
		nums, runs := sortedRuns(offsets)
		w := 1 // bytes per offset
		for end := size + int64(out.Len()); end >= 1<<(8*w); {
			w++
		}
		var data bytes.Buffer
		for _, n := range nums {
			data.WriteByte(1)
			for i := w - 1; i >= 0; i-- {
				data.WriteByte(byte(offsets[n] >> (8 * i)))
			}
			data.WriteByte(byte(gens[n] >> 8))
			data.WriteByte(byte(gens[n]))
		}
		index := array{}
		for _, r := range runs {
			index = append(index, count(r[0]), count(r[1]))
		}
		d := &dict{}
		d.set("Type", name("XRef"))
		d.set("Size", count(max(next, f.maxNum+1)))
		d.set("W", array{count(1), count(w), count(2)})
		d.set("Index", index)
		for i, k := range trailer.keys {
			d.set(k, trailer.vals[i])
		}
		d.set("Length", count(data.Len()))
		fmt.Fprintf(&out, "%d 0 obj\n", self.num)
		write(&out, d)
		out.WriteString("\nstream\n")
		out.Write(data.Bytes())
		out.WriteString("\nendstream\nendobj\n")
	} else {
		nums, runs := sortedRuns(offsets)
		out.WriteString("xref\n")
		i := 0
		for _, r := range runs {
			fmt.Fprintf(&out, "%d %d\n", r[0], r[1])
			for range r[1] {
				n := nums[i]
				i++
				fmt.Fprintf(&out, "%010d %05d n \n", offsets[n], gens[n])
			}
		}
		trailer.set("Size", count(max(next, f.maxNum+1)))
		out.WriteString("trailer\n")
		write(&out, trailer)
		out.WriteByte('\n')
	}
	fmt.Fprintf(&out, "startxref\n%d\n%%%%EOF\n", xrefAt)
	return out.Bytes()
}

// sortedRuns returns the object numbers in order and their runs of
// consecutive numbers as [first, count].
func sortedRuns(offsets map[int]int64) ([]int, [][2]int) {
	nums := make([]int, 0, len(offsets))
	for n := range offsets {
		nums = append(nums, n)
	}
	slices.Sort(nums)
	var runs [][2]int
	for _, n := range nums {
		if len(runs) > 0 && runs[len(runs)-1][0]+runs[len(runs)-1][1] == n {
			runs[len(runs)-1][1]++
		} else {
			runs = append(runs, [2]int{n, 1})
		}
	}
	return nums, runs
}

// joined reads a file with its update appended.
type joined struct {
	r    io.ReaderAt
	size int64
	upd  []byte
}

func (j joined) ReadAt(p []byte, off int64) (int, error) {
	n := 0
	if off < j.size {
		m, err := j.r.ReadAt(p[:min(int64(len(p)), j.size-off)], off)
		n += m
		if m < int(min(int64(len(p)), j.size-off)) {
			return n, err
		}
	}
	if n == len(p) {
		return n, nil
	}
	at := off + int64(n) - j.size
	if at >= int64(len(j.upd)) {
		return n, io.EOF
	}
	m := copy(p[n:], j.upd[at:])
	n += m
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// verify reads the file back with its update and checks that the same pages
// come out in the same order, with the same attributes, from the new tree.
func verify(r io.ReaderAt, size int64, upd []byte, want *tree) error {
	g, err := open(joined{r, size, upd}, size+int64(len(upd)))
	if err != nil {
		return err
	}
	got, err := g.pageTree()
	if err != nil {
		return err
	}
	if len(got.pages) != len(want.pages) {
		return fmt.Errorf("%d pages, want %d", len(got.pages), len(want.pages))
	}
	var a, b bytes.Buffer
	for i := range got.pages {
		gp, wp := got.pages[i], want.pages[i]
		if gp.ref != wp.ref {
			return fmt.Errorf("page %d is object %d, want %d", i+1, gp.ref.num, wp.ref.num)
		}
		if e := g.entries[gp.ref.num]; e.typ != 1 || e.off < size {
			return fmt.Errorf("page %d is not read from the update", i+1)
		}
		a.Reset()
		b.Reset()
		gd, wd := gp.d.clone(), wp.d.clone()
		gd.set("Parent", token("null"))
		wd.set("Parent", token("null"))
		write(&a, gd)
		write(&b, wd)
		if !bytes.Equal(a.Bytes(), b.Bytes()) {
			return fmt.Errorf("page %d's dictionary changed", i+1)
		}
	}
	return nil
}
