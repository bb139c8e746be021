package minutes

import (
	"fmt"
	"html/template"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// The size the benchmarks use: a long council session.
func benchDraft() Draft { return bigDraft(300, 200, 50, 3) }

// BenchmarkRender: go test ./minutes -run XXX -bench Render -benchmem
func BenchmarkRender(b *testing.B) {
	d := benchDraft()
	if _, err := Render(d); err != nil { // fonts cut once, outside the timing
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	var size int
	for i := 0; i < b.N; i++ {
		pdf, err := Render(d)
		if err != nil {
			b.Fatal(err)
		}
		size = len(pdf)
	}
	b.ReportMetric(float64(size), "pdf-bytes")
}

// BenchmarkRenderDocx: go test ./minutes -run XXX -bench RenderDocx -benchmem
func BenchmarkRenderDocx(b *testing.B) {
	d := benchDraft()
	if _, err := RenderDocx(d); err != nil { // the template lightened once, outside the timing
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	var size int
	for i := 0; i < b.N; i++ {
		docx, err := RenderDocx(d)
		if err != nil {
			b.Fatal(err)
		}
		size = len(docx)
	}
	b.ReportMetric(float64(size), "docx-bytes")
}

var htmlMinutes = template.Must(template.New("m").Funcs(template.FuncMap{
	"inc": func(i int) int { return i + 1 },
}).Parse(`<!doctype html><html lang="vi"><meta charset="utf-8"><style>
@page { size: A4; margin: 20mm 15mm 20mm 30mm }
body { font-family: "Liberation Serif", "Times New Roman", serif; font-size: 13pt; line-height: 1.4 }
table { border-collapse: collapse; width: 100% } td, th { border: 1px solid #000; padding: 2px 4px }
thead { display: table-header-group } tr { page-break-inside: avoid }
.head { display: flex; justify-content: space-between; text-align: center; font-weight: bold }
</style><body>
<div class="head"><div>{{.Organization}}<br>Số: ....../BB-UBND</div>
<div>CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM<br><u>Độc lập - Tự do - Hạnh phúc</u></div></div>
<h2 style="text-align:center">BIÊN BẢN<br>{{.Title}}</h2>
<h3>I. THỜI GIAN, ĐỊA ĐIỂM</h3><p>{{.StartsAt}} – {{.Location}}</p>
<h3>II. THÀNH PHẦN THAM DỰ</h3><p><b>Chủ trì:</b> {{.Chair.DisplayName}} <b>Thư ký:</b> {{.Secretary.DisplayName}}</p>
<p><b>Đại biểu có mặt:</b> {{range $i, $p := .Attendance.Present}}{{inc $i}}. {{$p.DisplayName}} – {{$p.Title}}; {{end}}</p>
<p><b>Đại biểu vắng mặt:</b> {{range $i, $p := .Attendance.Absent}}{{inc $i}}. {{$p.DisplayName}}; {{end}}</p>
<h3>III. NỘI DUNG CUỘC HỌP</h3>
{{range $i, $it := .Items}}<h4>{{inc $i}}. {{$it.Title}}</h4>
<p><b>Người trình bày:</b> {{$it.Presenter}}</p>
{{if $it.Speakers}}<p><b>Ý kiến phát biểu:</b> {{range $it.Speakers}}{{.DisplayName}}; {{end}}</p>{{end}}
{{range $it.Polls}}{{$p := .}}<p><b>Biểu quyết:</b> {{.Title}}</p><table><thead><tr><th>Phương án</th><th>Số phiếu</th><th>Tỷ lệ</th></tr></thead>
<tbody>{{range $j, $o := .Options}}<tr><td>{{$o}}</td><td>{{index $p.Counts $j}}</td><td>–</td></tr>{{end}}</tbody></table>
<p>Kết quả: {{if .Passed}}THÔNG QUA{{else}}KHÔNG THÔNG QUA{{end}}</p>{{end}}
{{end}}
<h3>IV. KẾT LUẬN</h3><p>{{.Summary}}</p>
<table style="border:0"><tr><td style="border:0;text-align:center"><b>THƯ KÝ</b><br><i>(Ký, ghi rõ họ tên)</i><br><br><br><b>{{.Secretary.DisplayName}}</b></td>
<td style="border:0;text-align:center"><b>CHỦ TRÌ</b><br><i>(Ký, ghi rõ họ tên)</i><br><br><br><b>{{.Chair.DisplayName}}</b></td></tr></table>
</body></html>`))

// BenchmarkChromiumHTML is the alternative to Render: the same minutes as HTML,
// printed to PDF by headless Chromium, one process per document as a server
// would have to run it. Each op includes writing the HTML and the browser's
// start-up. Chromium missing is a failure: install it with
// `bash scripts/tools.sh browser`.
func BenchmarkChromiumHTML(b *testing.B) {
	bin, err := exec.LookPath("chromium")
	if err != nil {
		b.Fatal("chromium is missing: install it with `bash scripts/tools.sh browser`")
	}
	d := benchDraft()
	dir := b.TempDir()
	b.ReportAllocs()
	b.ResetTimer()
	var size int64
	for i := 0; i < b.N; i++ {
		html := filepath.Join(dir, fmt.Sprintf("m%d.html", i))
		f, err := os.Create(html)
		if err != nil {
			b.Fatal(err)
		}
		if err := htmlMinutes.Execute(f, d); err != nil {
			b.Fatal(err)
		}
		f.Close()
		out := filepath.Join(dir, fmt.Sprintf("m%d.pdf", i))
		cmd := exec.Command(bin, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
			"--no-first-run", "--disable-background-networking", "--disable-component-update",
			"--disable-sync", "--no-pdf-header-footer", "--user-data-dir="+filepath.Join(dir, fmt.Sprintf("profile%d", i)),
			"--print-to-pdf="+out, "file://"+html)
		if msg, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("chromium: %v: %s", err, msg)
		}
		st, err := os.Stat(out)
		if err != nil {
			b.Fatalf("chromium wrote no PDF: %v", err)
		}
		size = st.Size()
	}
	b.ReportMetric(float64(size), "pdf-bytes")
}
