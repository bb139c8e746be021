package pagetree

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
)

// The object model keeps what the page tree needs as values and everything
// else as the bytes it was written with, so a dictionary copied into the
// update is written back exactly as the producer wrote its strings and numbers.
type (
	object any
	name   string // without the slash, escapes (#xx) kept as written
	ref    struct{ num, gen int }
	array  []object
	token  []byte // a number, string, boolean or null, verbatim
	dict   struct {
		keys []name
		vals []object
	}
)

func (d *dict) get(k name) object {
	for i, key := range d.keys {
		if key == k {
			return d.vals[i]
		}
	}
	return nil
}

func (d *dict) set(k name, v object) {
	for i, key := range d.keys {
		if key == k {
			d.vals[i] = v
			return
		}
	}
	d.keys = append(d.keys, k)
	d.vals = append(d.vals, v)
}

// clone copies the dictionary's own entries (values are shared: they are
// never changed in place).
func (d *dict) clone() *dict {
	return &dict{keys: append([]name(nil), d.keys...), vals: append([]object(nil), d.vals...)}
}

func (d *dict) isType(t name) bool {
	n, ok := d.get("Type").(name)
	return ok && n == t
}

// integer reads a direct integer.
func integer(o object) (int64, bool) {
	t, ok := o.(token)
	if !ok || len(t) == 0 || len(t) > 19 {
		return 0, false
	}
	n, err := strconv.ParseInt(string(t), 10, 64)
	return n, err == nil
}

var errSyntax = errors.New("syntax error")

// errShort means the parser ran off the end of its buffer: a longer read
// may succeed.
var errShort = errors.New("object runs past the buffer")

const maxDepth = 64

type parser struct {
	b   []byte
	pos int
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f' || c == 0
}

func isDelim(c byte) bool {
	switch c {
	case '(', ')', '<', '>', '[', ']', '{', '}', '/', '%':
		return true
	}
	return false
}

func (p *parser) skipSpace() {
	for p.pos < len(p.b) {
		c := p.b[p.pos]
		if isSpace(c) {
			p.pos++
		} else if c == '%' {
			for p.pos < len(p.b) && p.b[p.pos] != '\n' && p.b[p.pos] != '\r' {
				p.pos++
			}
		} else {
			return
		}
	}
}

// regular reads a run of regular characters (a keyword, number or name body).
func (p *parser) regular() []byte {
	start := p.pos
	for p.pos < len(p.b) && !isSpace(p.b[p.pos]) && !isDelim(p.b[p.pos]) {
		p.pos++
	}
	return p.b[start:p.pos]
}

// keyword reads the next keyword, or fails.
func (p *parser) keyword(want string) error {
	p.skipSpace()
	if p.pos >= len(p.b) {
		return errShort
	}
	if string(p.regular()) != want {
		return fmt.Errorf("%w: want %q", errSyntax, want)
	}
	return nil
}

// uint reads an unsigned integer token.
func (p *parser) uint() (int64, error) {
	p.skipSpace()
	if p.pos >= len(p.b) {
		return 0, errShort
	}
	w := p.regular()
	if p.pos >= len(p.b) {
		return 0, errShort
	}
	if len(w) == 0 || len(w) > 18 {
		return 0, errSyntax
	}
	var n int64
	for _, c := range w {
		if c < '0' || c > '9' {
			return 0, errSyntax
		}
		n = n*10 + int64(c-'0')
	}
	return n, nil
}

func (p *parser) object(depth int) (object, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("%w: nested too deeply", errSyntax)
	}
	p.skipSpace()
	if p.pos >= len(p.b) {
		return nil, errShort
	}
	switch c := p.b[p.pos]; {
	case c == '/':
		p.pos++
		return name(p.regular()), nil
	case c == '<' && p.pos+1 < len(p.b) && p.b[p.pos+1] == '<':
		p.pos += 2
		d := &dict{}
		for {
			p.skipSpace()
			if p.pos+1 >= len(p.b) {
				return nil, errShort
			}
			if p.b[p.pos] == '>' && p.b[p.pos+1] == '>' {
				p.pos += 2
				return d, nil
			}
			if p.b[p.pos] != '/' {
				return nil, fmt.Errorf("%w: dictionary key", errSyntax)
			}
			p.pos++
			k := name(p.regular())
			v, err := p.object(depth + 1)
			if err != nil {
				return nil, err
			}
			d.set(k, v)
		}
	case c == '<':
		start := p.pos
		i := bytes.IndexByte(p.b[p.pos:], '>')
		if i < 0 {
			return nil, errShort
		}
		p.pos += i + 1
		return token(p.b[start:p.pos]), nil
	case c == '(':
		start := p.pos
		p.pos++
		for nest := 1; nest > 0; p.pos++ {
			if p.pos >= len(p.b) {
				return nil, errShort
			}
			switch p.b[p.pos] {
			case '\\':
				p.pos++
			case '(':
				nest++
			case ')':
				nest--
			}
		}
		return token(p.b[start:p.pos]), nil
	case c == '[':
		p.pos++
		var a array
		for {
			p.skipSpace()
			if p.pos >= len(p.b) {
				return nil, errShort
			}
			if p.b[p.pos] == ']' {
				p.pos++
				return a, nil
			}
			v, err := p.object(depth + 1)
			if err != nil {
				return nil, err
			}
			a = append(a, v)
		}
	case c >= '0' && c <= '9':
		w := p.regular()
		if p.pos >= len(p.b) {
			return nil, errShort
		}
		// "num gen R" is a reference; anything else leaves the number alone.
		if n, err := strconv.Atoi(string(w)); err == nil {
			save := p.pos
			if g, err := p.uint(); err == nil {
				p.skipSpace()
				if p.pos < len(p.b) && p.b[p.pos] == 'R' && (p.pos+1 == len(p.b) || isSpace(p.b[p.pos+1]) || isDelim(p.b[p.pos+1])) {
					p.pos++
					return ref{n, int(g)}, nil
				}
			}
			p.pos = save
		}
		return token(w), nil
	case c == '+' || c == '-' || c == '.':
		return token(p.regular()), nil
	case isDelim(c):
		return nil, fmt.Errorf("%w: unexpected %q", errSyntax, c)
	default:
		w := p.regular()
		if p.pos >= len(p.b) {
			return nil, errShort
		}
		switch string(w) {
		case "true", "false", "null":
			return token(w), nil
		}
		return nil, fmt.Errorf("%w: unexpected keyword %q", errSyntax, w)
	}
}

// write serialises o in PDF syntax.
func write(buf *bytes.Buffer, o object) {
	switch v := o.(type) {
	case name:
		buf.WriteByte('/')
		buf.WriteString(string(v))
	case ref:
		fmt.Fprintf(buf, "%d %d R", v.num, v.gen)
	case token:
		buf.Write(v)
	case array:
		buf.WriteByte('[')
		for i, e := range v {
			if i > 0 {
				buf.WriteByte(' ')
			}
			write(buf, e)
		}
		buf.WriteByte(']')
	case *dict:
		buf.WriteString("<<")
		for i, k := range v.keys {
			buf.WriteByte('/')
			buf.WriteString(string(k))
			buf.WriteByte(' ')
			write(buf, v.vals[i])
			buf.WriteByte(' ')
		}
		buf.WriteString(">>")
	default:
		buf.WriteString("null")
	}
}
