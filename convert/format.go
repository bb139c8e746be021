package convert

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"io"
	"path"
	"strings"

	"github.com/phonghop/phonghop"
)

// Format is an office format the server converts to PDF.
type Format struct {
	Ext         string // lower case, with the dot: ".docx"
	Name        string // what people call it: "Word", "Excel", ...
	ContentType string
	kind        container
	main        string // OOXML: the part that must exist; ODF: the mimetype entry's text
}

type container int

const (
	ooxml container = iota // a zip with [Content_Types].xml and the main part
	odf                    // a zip whose "mimetype" entry names the type
	ole                    // a compound file (Word, Excel, PowerPoint 97–2003)
	rtf                    // text beginning with {\rtf
)

var formats = []Format{
	{".doc", "Word", "application/msword", ole, ""},
	{".docx", "Word", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", ooxml, "word/document.xml"},
	{".odt", "OpenDocument", "application/vnd.oasis.opendocument.text", odf, "application/vnd.oasis.opendocument.text"},
	{".rtf", "RTF", "application/rtf", rtf, ""},
	{".xls", "Excel", "application/vnd.ms-excel", ole, ""},
	{".xlsx", "Excel", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ooxml, "xl/workbook.xml"},
	{".ods", "OpenDocument", "application/vnd.oasis.opendocument.spreadsheet", odf, "application/vnd.oasis.opendocument.spreadsheet"},
	{".ppt", "PowerPoint", "application/vnd.ms-powerpoint", ole, ""},
	{".pptx", "PowerPoint", "application/vnd.openxmlformats-officedocument.presentationml.presentation", ooxml, "ppt/presentation.xml"},
	{".odp", "OpenDocument", "application/vnd.oasis.opendocument.presentation", odf, "application/vnd.oasis.opendocument.presentation"},
}

// Extensions lists the extensions converted, for file pickers and messages.
func Extensions() []string {
	out := make([]string, len(formats))
	for i, f := range formats {
		out[i] = f.Ext
	}
	return out
}

// ByName returns the format a file name's extension names.
func ByName(name string) (Format, bool) {
	ext := strings.ToLower(path.Ext(strings.ReplaceAll(name, "\\", "/")))
	for _, f := range formats {
		if f.Ext == ext {
			return f, true
		}
	}
	return Format{}, false
}

// ByExt returns the format of an extension (".docx").
func ByExt(ext string) (Format, bool) { return ByName("x" + ext) }

var oleMagic = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}

// maxZipEntries bounds the entries of an uploaded zip container: reading a
// central directory costs memory per entry, and no real office file has this
// many parts.
const maxZipEntries = 20000

// Check reads enough of the file to tell that its structure is the format
// its name claims: the zip parts of OOXML and OpenDocument, the compound-file
// header of the 97–2003 formats, RTF's opening. A file that is not what its
// name says is refused before it is stored or handed to LibreOffice.
func Check(r io.ReaderAt, size int64, f Format) error {
	bad := phonghop.Fail(phonghop.EUnsupportedType, "office_content_mismatch", "format", f.Name, "ext", f.Ext)
	head := make([]byte, 8)
	if n, _ := r.ReadAt(head, 0); n < len(head) {
		return bad
	}
	switch f.kind {
	case ole:
		if !bytes.Equal(head, oleMagic) {
			return bad
		}
		return nil
	case rtf:
		if !bytes.HasPrefix(head, []byte(`{\rtf`)) {
			return bad
		}
		return nil
	}
	if !bytes.HasPrefix(head, []byte("PK\x03\x04")) {
		return bad
	}
	if n, ok := zipEntries(r, size); !ok || n > maxZipEntries {
		return bad
	}
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return bad
	}
	if f.kind == ooxml {
		var types, main bool
		for _, e := range zr.File {
			types = types || e.Name == "[Content_Types].xml"
			main = main || e.Name == f.main
		}
		if !types || !main {
			return bad
		}
		return nil
	}
	for _, e := range zr.File {
		if e.Name != "mimetype" {
			continue
		}
		if e.UncompressedSize64 > 200 {
			return bad
		}
		rc, err := e.Open()
		if err != nil {
			return bad
		}
		b, err := io.ReadAll(io.LimitReader(rc, 200))
		rc.Close()
		if err != nil || strings.TrimSpace(string(b)) != f.main {
			return bad
		}
		return nil
	}
	return bad
}

// zipEntries reads the entry count of a zip's end-of-central-directory record,
// found in the file's last 64 KiB (its comment is at most that long).
func zipEntries(r io.ReaderAt, size int64) (int, bool) {
	const eocdLen = 22
	n := min(size, 65535+eocdLen)
	buf := make([]byte, n)
	if _, err := r.ReadAt(buf, size-n); err != nil && err != io.EOF {
		return 0, false
	}
	i := bytes.LastIndex(buf, []byte("PK\x05\x06"))
	if i < 0 || len(buf)-i < eocdLen {
		return 0, false
	}
	entries := binary.LittleEndian.Uint16(buf[i+10:])
	if entries == 0xFFFF { // zip64: no office file needs it
		return 0, false
	}
	return int(entries), true
}

// PDFName is the name of the PDF made from an office file: its base name with
// ".pdf" for the extension.
func PDFName(name string) string {
	if _, ok := ByName(name); ok {
		return strings.TrimSuffix(name, path.Ext(name)) + ".pdf"
	}
	return name
}
