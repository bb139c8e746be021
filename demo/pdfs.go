package demo

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"time"

	"codeberg.org/go-pdf/fpdf"

	"github.com/phonghop/phonghop/fonts"
)

// DemoDocument is a file of the demo meeting.
type DemoDocument struct {
	Name string
	Data []byte
}

// Documents returns the demo meeting's documents: the year's report, the report
// on the models worth spreading and the draft commendation decision, in that
// order. They are real multi-page PDFs made here, the same bytes every time, with
// a large page number in the top corner of every page so a page turn shows on
// every tablet at a glance. The figures follow DESIGN.md's concrete case; the
// rest is illustrative and every page says so.
func Documents() []DemoDocument {
	docsOnce.Do(func() {
		for _, d := range []struct {
			name string
			doc  demoDoc
		}{
			{"Bao-cao-tong-ket-CCHC-2023.pdf", reportDoc()},
			{"Mo-hinh-diem-CCHC.pdf", modelsDoc()},
			{"Du-thao-Quyet-dinh-khen-thuong.pdf", decisionDoc()},
		} {
			data, err := d.doc.render()
			if err != nil {
				panic("demo: rendering " + d.name + ": " + err.Error()) // static content: a bug
			}
			docs = append(docs, DemoDocument{Name: d.name, Data: data})
		}
	})
	out := make([]DemoDocument, len(docs))
	copy(out, docs)
	return out
}

var (
	docsOnce sync.Once
	docs     []DemoDocument
)

// issued is the date the demo documents carry (and their PDF dates).
var issued = time.Date(2024, 1, 10, 8, 0, 0, 0, time.FixedZone("UTC+7", 7*3600))

// block is one piece of a document's body.
type block struct {
	kind  string // "h1", "h2", "p", "li", "table", "page", "center", "sign"
	text  string
	rows  [][]string // table rows, the first is the header
	width []float64  // table column widths in mm
}

func h1(s string) block     { return block{kind: "h1", text: s} }
func h2(s string) block     { return block{kind: "h2", text: s} }
func p(s string) block      { return block{kind: "p", text: s} }
func li(s string) block     { return block{kind: "li", text: s} }
func center(s string) block { return block{kind: "center", text: s} }
func pageBreak() block      { return block{kind: "page"} }
func sign(s string) block   { return block{kind: "sign", text: s} }
func table(w []float64, rows ...[]string) block {
	return block{kind: "table", rows: rows, width: w}
}

type demoDoc struct {
	number, kind, title, subtitle string
	draft                         bool
	body                          []block
}

const (
	dMarginLeft  = 30.0
	dMarginRight = 15.0
	dMarginTop   = 25.0
	dLine        = 7.0
	dSize        = 13.5
)

func (d demoDoc) render() ([]byte, error) {
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.AliasNbPages("{nb}")
	fonts.Register(pdf)
	pdf.SetCompression(true)
	pdf.SetCatalogSort(true)
	pdf.SetCreationDate(issued)
	pdf.SetModificationDate(issued)
	pdf.SetTitle(fonts.Clean(d.kind+" "+d.title), true)
	pdf.SetCreator("phonghop demo", false)
	pdf.SetProducer("phonghop", false)
	pdf.SetMargins(dMarginLeft, dMarginTop, dMarginRight)
	pdf.SetAutoPageBreak(true, 22)
	pw, ph := pdf.GetPageSize()
	width := pw - dMarginLeft - dMarginRight
	c := fonts.Clean

	pdf.SetHeaderFunc(func() {
		// The big page number: readable across the room on a tablet.
		label := fmt.Sprintf("%d/{nb}", pdf.PageNo())
		pdf.SetFont(fonts.Family, "B", 22)
		pdf.SetFillColor(29, 78, 137)
		pdf.SetTextColor(255, 255, 255)
		pdf.SetXY(pw-dMarginRight-30, 6)
		pdf.CellFormat(30, 12, label, "", 0, "C", true, 0, "")
		pdf.SetTextColor(0, 0, 0)
		if d.draft {
			pdf.SetFont(fonts.Family, "B", 12)
			pdf.SetXY(dMarginLeft, 8)
			pdf.SetDrawColor(200, 0, 0)
			pdf.SetTextColor(200, 0, 0)
			pdf.CellFormat(25, 8, c("DỰ THẢO"), "1", 0, "C", false, 0, "")
			pdf.SetTextColor(0, 0, 0)
			pdf.SetDrawColor(0, 0, 0)
		}
		pdf.SetXY(dMarginLeft, dMarginTop)
	})
	pdf.SetFooterFunc(func() {
		pdf.SetY(-17)
		pdf.SetFont(fonts.Family, "I", 9)
		pdf.SetTextColor(110, 110, 110)
		pdf.CellFormat(width, 4, c("Tài liệu minh họa dùng để trình diễn phần mềm phòng họp không giấy phonghop."), "", 2, "C", false, 0, "")
		pdf.SetTextColor(0, 0, 0)
		pdf.SetFont(fonts.Family, "B", 14)
		pdf.CellFormat(width, 7, c(fmt.Sprintf("Trang %d/{nb}", pdf.PageNo())), "", 0, "C", false, 0, "")
	})
	pdf.AddPage()

	// Heading: issuing body and number (left), national title (right).
	leftW := 70.0
	rightW := width - leftW
	y := pdf.GetY()
	pdf.SetFont(fonts.Family, "B", 12)
	pdf.MultiCell(leftW, 5.5, c("ỦY BAN NHÂN DÂN\nHUYỆN THANH SƠN"), "", "C", false)
	pdf.Line(dMarginLeft+leftW/2-12, pdf.GetY()+0.5, dMarginLeft+leftW/2+12, pdf.GetY()+0.5)
	pdf.SetXY(dMarginLeft, pdf.GetY()+2)
	pdf.SetFont(fonts.Family, "", 12)
	pdf.CellFormat(leftW, 5.5, c("Số: "+d.number), "", 1, "C", false, 0, "")
	leftBottom := pdf.GetY()
	pdf.SetXY(dMarginLeft+leftW, y)
	pdf.SetFont(fonts.Family, "B", 12)
	pdf.CellFormat(rightW, 5.5, c("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"), "", 2, "C", false, 0, "")
	pdf.SetFont(fonts.Family, "B", 13)
	motto := c("Độc lập - Tự do - Hạnh phúc")
	pdf.CellFormat(rightW, 6, motto, "", 2, "C", false, 0, "")
	mw := pdf.GetStringWidth(motto)
	cx := dMarginLeft + leftW + rightW/2
	pdf.Line(cx-mw/2, pdf.GetY()+0.3, cx+mw/2, pdf.GetY()+0.3)
	pdf.SetXY(dMarginLeft+leftW, pdf.GetY()+3)
	pdf.SetFont(fonts.Family, "I", 13)
	pdf.CellFormat(rightW, 6, c(fmt.Sprintf("Thanh Sơn, ngày %02d tháng %02d năm %d", issued.Day(), int(issued.Month()), issued.Year())), "", 1, "C", false, 0, "")
	if pdf.GetY() < leftBottom {
		pdf.SetY(leftBottom)
	}
	pdf.Ln(8)
	pdf.SetFont(fonts.Family, "B", 15)
	pdf.CellFormat(width, 8, c(d.kind), "", 1, "C", false, 0, "")
	pdf.SetFont(fonts.Family, "B", 13.5)
	pdf.MultiCell(width, 7, c(d.title), "", "C", false)
	if d.subtitle != "" {
		pdf.SetFont(fonts.Family, "I", 13)
		pdf.MultiCell(width, 7, c(d.subtitle), "", "C", false)
	}
	pdf.Line(dMarginLeft+width/2-20, pdf.GetY()+1, dMarginLeft+width/2+20, pdf.GetY()+1)
	pdf.Ln(6)

	for _, b := range d.body {
		switch b.kind {
		case "page":
			pdf.AddPage()
		case "h1":
			if pdf.GetY() > ph-60 {
				pdf.AddPage()
			}
			pdf.Ln(2)
			pdf.SetFont(fonts.Family, "B", 14)
			pdf.MultiCell(width, dLine, c(b.text), "", "L", false)
		case "h2":
			if pdf.GetY() > ph-50 {
				pdf.AddPage()
			}
			pdf.SetFont(fonts.Family, "B", dSize)
			pdf.MultiCell(width, dLine, c(b.text), "", "L", false)
		case "p":
			pdf.SetFont(fonts.Family, "", dSize)
			pdf.SetX(dMarginLeft)
			pdf.MultiCell(width, dLine, c("        "+b.text), "", "J", false)
			pdf.Ln(1.5)
		case "li":
			pdf.SetFont(fonts.Family, "", dSize)
			pdf.SetX(dMarginLeft + 6)
			pdf.MultiCell(width-6, dLine, c("- "+b.text), "", "J", false)
		case "center":
			pdf.SetFont(fonts.Family, "B", dSize)
			pdf.MultiCell(width, dLine, c(b.text), "", "C", false)
		case "sign":
			if pdf.GetY() > ph-75 {
				pdf.AddPage()
			}
			pdf.Ln(6)
			x := dMarginLeft + width/2
			lines := strings.Split(b.text, "\n")
			pdf.SetX(x)
			pdf.SetFont(fonts.Family, "B", 13)
			pdf.MultiCell(width/2, 6, c(lines[0]), "", "C", false)
			pdf.Ln(24)
			pdf.SetX(x)
			pdf.MultiCell(width/2, 6, c(strings.Join(lines[1:], "\n")), "", "C", false)
		case "table":
			drawTable(pdf, b, ph)
		}
	}
	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// drawTable draws a bordered table whose header row repeats on a new page.
func drawTable(pdf *fpdf.Fpdf, b block, ph float64) {
	const lh = 6.5
	c := fonts.Clean
	var row func(cells []string, bold bool)
	row = func(cells []string, bold bool) {
		style := ""
		if bold {
			style = "B"
		}
		pdf.SetFont(fonts.Family, style, 12)
		n := 1
		split := make([][]string, len(cells))
		for i, s := range cells {
			split[i] = pdf.SplitText(c(s), b.width[i]-2)
			if len(split[i]) > n {
				n = len(split[i])
			}
		}
		h := float64(n) * lh
		if pdf.GetY()+h > ph-25 {
			pdf.AddPage()
			if !bold {
				row(b.rows[0], true)
				pdf.SetFont(fonts.Family, style, 12)
			}
		}
		x, y := dMarginLeft, pdf.GetY()
		for i := range cells {
			if bold {
				pdf.SetFillColor(225, 232, 242)
				pdf.Rect(x, y, b.width[i], h, "FD")
			} else {
				pdf.Rect(x, y, b.width[i], h, "D")
			}
			align := "L"
			if i > 0 {
				align = "C"
			}
			for j, line := range split[i] {
				pdf.SetXY(x+1, y+float64(j)*lh)
				pdf.CellFormat(b.width[i]-2, lh, line, "", 0, align, false, 0, "")
			}
			x += b.width[i]
		}
		pdf.SetXY(dMarginLeft, y+h)
	}
	pdf.Ln(1)
	for i, r := range b.rows {
		row(r, i == 0)
	}
	pdf.Ln(3)
}

func reportDoc() demoDoc {
	return demoDoc{
		number: "15/BC-UBND",
		kind:   "BÁO CÁO",
		title:  "Tổng kết công tác cải cách hành chính năm 2023, phương hướng, nhiệm vụ năm 2024",
		body: []block{
			p("Thực hiện Kế hoạch cải cách hành chính năm 2023 của Ủy ban nhân dân tỉnh và Kế hoạch số 08/KH-UBND ngày 12 tháng 01 năm 2023 của Ủy ban nhân dân huyện, Ủy ban nhân dân huyện Thanh Sơn báo cáo kết quả thực hiện công tác cải cách hành chính (CCHC) năm 2023 và phương hướng, nhiệm vụ năm 2024 như sau:"),
			h1("I. KẾT QUẢ THỰC HIỆN CÔNG TÁC CẢI CÁCH HÀNH CHÍNH NĂM 2023"),
			h2("1. Công tác chỉ đạo, điều hành"),
			p("Ủy ban nhân dân huyện đã ban hành kế hoạch CCHC năm 2023 ngay từ đầu năm, xác định 26 nhiệm vụ trọng tâm, phân công rõ cơ quan chủ trì, thời hạn hoàn thành và sản phẩm cụ thể. Đến ngày 31 tháng 12 năm 2023, 26/26 nhiệm vụ đã hoàn thành, đạt 100% kế hoạch."),
			p("Đối với các nhiệm vụ Ủy ban nhân dân tỉnh giao, huyện đã thực hiện 63/63 nhiệm vụ đúng thời hạn, không có nhiệm vụ quá hạn. Công tác kiểm tra CCHC được thực hiện tại 12 cơ quan, đơn vị và 08 xã, thị trấn; các tồn tại phát hiện qua kiểm tra đều được chỉ đạo khắc phục trong năm."),
			p("Công tác thông tin, tuyên truyền được đẩy mạnh trên Cổng thông tin điện tử huyện, Đài Truyền thanh huyện và các nhóm mạng xã hội của các thôn, tổ dân phố, giúp người dân và doanh nghiệp nắm bắt kịp thời các thủ tục hành chính mới và các dịch vụ công trực tuyến."),
			h2("2. Cải cách thể chế"),
			p("Trong năm, Hội đồng nhân dân và Ủy ban nhân dân huyện ban hành 14 văn bản quy phạm pháp luật và văn bản chỉ đạo, điều hành; 100% dự thảo được thẩm định, lấy ý kiến theo đúng quy định. Công tác rà soát, hệ thống hóa văn bản được thực hiện thường xuyên, kịp thời bãi bỏ 03 văn bản không còn phù hợp."),
			h2("3. Cải cách thủ tục hành chính"),
			p("Toàn bộ thủ tục hành chính thuộc thẩm quyền giải quyết của cấp huyện và cấp xã được công khai đầy đủ tại Bộ phận Một cửa và trên Cổng dịch vụ công. Tỷ lệ hồ sơ được giải quyết đúng hạn đạt trên 99% ở cả hai cấp; không có hồ sơ tồn đọng quá hạn kéo dài."),
			table([]float64{55, 30, 30, 25, 25},
				[]string{"Cấp giải quyết", "Hồ sơ tiếp nhận", "Đúng hạn", "Trễ hạn", "Tỷ lệ đúng hạn"},
				[]string{"Cấp huyện", "12.458", "12.371", "87", "99,30%"},
				[]string{"Cấp xã, thị trấn", "35.912", "35.804", "108", "99,70%"},
				[]string{"Tổng cộng", "48.370", "48.175", "195", "99,60%"},
			),
			p("Các lĩnh vực có số lượng hồ sơ lớn nhất là đất đai, hộ tịch, chứng thực và đăng ký kinh doanh hộ cá thể. Những hồ sơ trễ hạn chủ yếu thuộc lĩnh vực đất đai do phải xác minh nguồn gốc sử dụng đất; tất cả đều có văn bản xin lỗi người dân theo quy định."),
			pageBreak(),
			h2("4. Cải cách tổ chức bộ máy hành chính nhà nước"),
			p("Huyện tiếp tục rà soát chức năng, nhiệm vụ của các phòng chuyên môn, đơn vị sự nghiệp; thực hiện tinh giản biên chế theo lộ trình, giảm 4,2% biên chế hành chính so với năm 2021. Việc sắp xếp các thôn, tổ dân phố được hoàn thành, giảm 11 thôn, tổ dân phố."),
			h2("5. Cải cách chế độ công vụ"),
			p("Công tác tuyển dụng, bổ nhiệm, đánh giá cán bộ, công chức, viên chức được thực hiện công khai, đúng quy định. Huyện tổ chức 06 lớp bồi dưỡng kỹ năng giao tiếp, ứng xử và kỹ năng số cho 420 lượt cán bộ, công chức, nhất là đội ngũ làm việc tại Bộ phận Một cửa các cấp."),
			p("Kỷ luật, kỷ cương hành chính được siết chặt: qua kiểm tra công vụ đột xuất tại 20 cơ quan, đơn vị, không phát hiện trường hợp vi phạm giờ giấc hay thái độ phục vụ không đúng mực."),
			h2("6. Cải cách tài chính công"),
			p("100% cơ quan hành chính thực hiện cơ chế tự chủ về sử dụng biên chế và kinh phí quản lý hành chính; 100% đơn vị sự nghiệp công lập xây dựng phương án tự chủ tài chính giai đoạn 2023 - 2025. Việc thanh toán, quyết toán ngân sách được thực hiện qua dịch vụ công trực tuyến của Kho bạc Nhà nước."),
			h2("7. Xây dựng và phát triển chính quyền điện tử, chính quyền số"),
			p("Hệ thống quản lý văn bản và điều hành được sử dụng ở 100% cơ quan, đơn vị; tỷ lệ văn bản đi được ký số và gửi nhận hoàn toàn trên môi trường điện tử đạt 98,5%. Phòng họp không giấy được đưa vào sử dụng tại Ủy ban nhân dân huyện từ tháng 6 năm 2023."),
			p("Tỷ lệ số hóa hồ sơ, kết quả giải quyết thủ tục hành chính đạt trên 60% ở cấp huyện và 86,9% ở cấp xã, vượt chỉ tiêu tỉnh giao. Tỷ lệ hồ sơ trực tuyến toàn trình đạt 52,3%."),
			table([]float64{75, 45, 45},
				[]string{"Chỉ tiêu", "Cấp huyện", "Cấp xã"},
				[]string{"Số hóa hồ sơ, kết quả giải quyết TTHC", "61,4%", "86,9%"},
				[]string{"Hồ sơ trực tuyến toàn trình", "48,7%", "53,5%"},
				[]string{"Thanh toán trực tuyến phí, lệ phí", "41,2%", "37,8%"},
				[]string{"Văn bản ký số, gửi nhận điện tử", "98,5%", "97,1%"},
			),
			pageBreak(),
			h2("8. Kết quả các chỉ số đánh giá"),
			p("Chỉ số cải cách hành chính năm 2023 của huyện tăng 3 bậc so với năm 2022, xếp thứ 2/13 huyện, thị xã, thành phố. Chỉ số hài lòng của người dân, tổ chức đối với sự phục vụ của cơ quan hành chính nhà nước đạt 92,6%."),
			p("Ba mô hình điểm \"6 trong 1\", \"Một cửa không treo – hồ sơ không đọng\" và \"Công dân điện tử\" được triển khai có hiệu quả, được Ủy ban nhân dân tỉnh ghi nhận và đề nghị nhân rộng (có báo cáo riêng kèm theo)."),
			h1("II. ĐÁNH GIÁ CHUNG"),
			h2("1. Ưu điểm"),
			li("Công tác chỉ đạo, điều hành quyết liệt, có trọng tâm; 26/26 nhiệm vụ kế hoạch và 63/63 nhiệm vụ tỉnh giao được hoàn thành đúng hạn."),
			li("Chất lượng giải quyết thủ tục hành chính được nâng lên rõ rệt, trên 99% hồ sơ đúng hạn."),
			li("Chuyển đổi số có bước tiến mạnh, đặc biệt ở cấp xã với tỷ lệ số hóa 86,9%."),
			li("Nhiều mô hình, cách làm hay xuất phát từ cơ sở, được người dân đồng tình ủng hộ."),
			h2("2. Hạn chế"),
			li("Tỷ lệ hồ sơ trực tuyến toàn trình và thanh toán trực tuyến còn thấp so với yêu cầu."),
			li("Một số hồ sơ lĩnh vực đất đai còn trễ hạn; việc xin lỗi người dân có lúc chưa kịp thời."),
			li("Hạ tầng công nghệ thông tin ở một số xã vùng sâu còn hạn chế, đường truyền chưa ổn định."),
			h2("3. Nguyên nhân"),
			p("Hạn chế nêu trên có nguyên nhân khách quan do khối lượng hồ sơ đất đai lớn, nguồn gốc phức tạp; đồng thời có nguyên nhân chủ quan do một bộ phận cán bộ, công chức chưa thật sự chủ động, kỹ năng số chưa đồng đều, công tác phối hợp giữa các cơ quan có lúc chưa chặt chẽ."),
			pageBreak(),
			h1("III. PHƯƠNG HƯỚNG, NHIỆM VỤ NĂM 2024"),
			li("Ban hành kế hoạch CCHC năm 2024 ngay trong tháng 01, gắn trách nhiệm người đứng đầu với kết quả thực hiện từng nhiệm vụ."),
			li("Duy trì tỷ lệ hồ sơ đúng hạn trên 99%; phấn đấu không có hồ sơ trễ hạn ở cấp xã."),
			li("Nâng tỷ lệ hồ sơ trực tuyến toàn trình lên trên 60% và tỷ lệ thanh toán trực tuyến lên trên 50%."),
			li("Hoàn thành số hóa 100% kết quả giải quyết thủ tục hành chính còn hiệu lực ở cấp xã và trên 80% ở cấp huyện."),
			li("Nhân rộng ba mô hình điểm ra toàn bộ 16 xã, thị trấn trước ngày 30 tháng 6 năm 2024."),
			li("Đẩy mạnh sử dụng phòng họp không giấy ở Ủy ban nhân dân các xã, thị trấn."),
			li("Tăng cường kiểm tra công vụ, xử lý nghiêm các trường hợp gây phiền hà, nhũng nhiễu."),
			h1("IV. ĐỀ XUẤT, KIẾN NGHỊ"),
			p("Đề nghị Ủy ban nhân dân tỉnh tiếp tục hỗ trợ kinh phí nâng cấp hạ tầng mạng cho các xã vùng sâu; sớm hoàn thiện việc kết nối, chia sẻ dữ liệu giữa Cổng dịch vụ công của tỉnh với các cơ sở dữ liệu chuyên ngành đất đai, hộ tịch để giảm giấy tờ người dân phải nộp."),
			p("Trên đây là báo cáo tổng kết công tác cải cách hành chính năm 2023, phương hướng, nhiệm vụ năm 2024 của Ủy ban nhân dân huyện Thanh Sơn."),
			sign("TM. ỦY BAN NHÂN DÂN\nCHỦ TỊCH\n\nNguyễn Văn Hùng"),
			pageBreak(),
			center("PHỤ LỤC"),
			center("Kết quả thực hiện các nhiệm vụ cải cách hành chính năm 2023"),
			pdfAppendix(),
		},
	}
}

// pdfAppendix lists the 26 tasks of the year's plan, all done.
func pdfAppendix() block {
	tasks := []string{
		"Ban hành kế hoạch CCHC năm 2023", "Kế hoạch tuyên truyền CCHC", "Kế hoạch kiểm tra CCHC",
		"Rà soát văn bản quy phạm pháp luật", "Công khai thủ tục hành chính", "Rà soát, đơn giản hóa TTHC",
		"Số hóa hồ sơ, kết quả giải quyết TTHC", "Vận hành Bộ phận Một cửa cấp huyện", "Vận hành Bộ phận Một cửa cấp xã",
		"Đo lường sự hài lòng của người dân", "Sắp xếp thôn, tổ dân phố", "Rà soát vị trí việc làm",
		"Tinh giản biên chế", "Bồi dưỡng cán bộ, công chức", "Kiểm tra công vụ",
		"Tự chủ tài chính đơn vị sự nghiệp", "Thanh toán không dùng tiền mặt", "Hệ thống quản lý văn bản",
		"Chữ ký số chuyên dùng", "Phòng họp không giấy", "Dịch vụ công trực tuyến toàn trình",
		"Mô hình \"6 trong 1\"", "Mô hình \"Một cửa không treo – hồ sơ không đọng\"", "Mô hình \"Công dân điện tử\"",
		"Báo cáo CCHC định kỳ", "Tự đánh giá chỉ số CCHC",
	}
	rows := [][]string{{"STT", "Nhiệm vụ", "Kết quả"}}
	for i, t := range tasks {
		rows = append(rows, []string{fmt.Sprintf("%02d", i+1), t, "Hoàn thành"})
	}
	// the first column is centred by drawTable's rule (only column 0 is left-aligned),
	// so the number goes in column 0 and stays short
	return table([]float64{18, 112, 35}, rows...)
}

func modelsDoc() demoDoc {
	return demoDoc{
		number: "16/BC-UBND",
		kind:   "BÁO CÁO",
		title:  "Kết quả thực hiện các mô hình điểm trong công tác cải cách hành chính năm 2023",
		body: []block{
			p("Năm 2023, Ủy ban nhân dân huyện chỉ đạo triển khai thí điểm ba mô hình: \"6 trong 1\", \"Một cửa không treo – hồ sơ không đọng\" và \"Công dân điện tử\". Báo cáo này tóm tắt cách làm, kết quả và đề xuất nhân rộng từng mô hình."),
			h1("I. MÔ HÌNH \"6 TRONG 1\""),
			h2("1. Cách làm"),
			p("Người dân chỉ nộp một bộ hồ sơ tại Bộ phận Một cửa cấp xã để được giải quyết liên thông sáu thủ tục: đăng ký khai sinh, đăng ký thường trú, cấp thẻ bảo hiểm y tế cho trẻ em dưới 6 tuổi, đăng ký khai tử, xóa đăng ký thường trú và giải quyết mai táng phí. Công chức một cửa chuyển hồ sơ điện tử đến các cơ quan liên quan, người dân nhận kết quả tại nhà qua dịch vụ bưu chính công ích."),
			h2("2. Kết quả"),
			li("Đã giải quyết 2.146 bộ hồ sơ liên thông, 100% đúng hạn."),
			li("Thời gian giải quyết giảm từ 25 ngày xuống còn 05 ngày làm việc."),
			li("Người dân không phải đi lại nhiều lần, tiết kiệm chi phí ước khoảng 300.000 đồng mỗi hồ sơ."),
			pageBreak(),
			h1("II. MÔ HÌNH \"MỘT CỬA KHÔNG TREO – HỒ SƠ KHÔNG ĐỌNG\""),
			h2("1. Cách làm"),
			p("Mỗi hồ sơ tiếp nhận được gắn mã QR để người dân tự tra cứu tiến độ. Bảng theo dõi điện tử tại Bộ phận Một cửa hiển thị công khai số hồ sơ đến hạn, sắp đến hạn và quá hạn của từng cơ quan. Hằng tuần, Chủ tịch Ủy ban nhân dân xã họp giao ban 15 phút để xử lý dứt điểm hồ sơ vướng mắc."),
			h2("2. Kết quả"),
			li("Tỷ lệ hồ sơ đúng hạn tại 08 xã thí điểm tăng từ 96,8% lên 99,8%."),
			li("Không còn hồ sơ \"treo\" quá 10 ngày không có phản hồi cho người dân."),
			li("Số phản ánh, kiến nghị về thái độ phục vụ giảm 70% so với năm 2022."),
			table([]float64{65, 50, 50},
				[]string{"Chỉ tiêu", "Trước thí điểm", "Sau thí điểm"},
				[]string{"Hồ sơ đúng hạn", "96,8%", "99,8%"},
				[]string{"Thời gian chờ trung bình", "42 phút", "12 phút"},
				[]string{"Phản ánh, kiến nghị", "37", "11"},
			),
			pageBreak(),
			h1("III. MÔ HÌNH \"CÔNG DÂN ĐIỆN TỬ\""),
			h2("1. Cách làm"),
			p("Đoàn Thanh niên các xã thành lập tổ công nghệ số cộng đồng, trực tại Bộ phận Một cửa và đến từng thôn để hướng dẫn người dân cài đặt, kích hoạt tài khoản định danh điện tử, nộp hồ sơ trực tuyến và thanh toán không dùng tiền mặt."),
			h2("2. Kết quả"),
			li("Hướng dẫn 18.450 người dân kích hoạt tài khoản định danh điện tử mức độ 2."),
			li("Tỷ lệ hồ sơ trực tuyến ở cấp xã tăng từ 21% lên 53,5%."),
			li("Tỷ lệ số hóa kết quả giải quyết thủ tục hành chính ở cấp xã đạt 86,9%."),
			pageBreak(),
			h1("IV. ĐỀ XUẤT NHÂN RỘNG"),
			p("Ba mô hình có chi phí thấp, dễ làm, phù hợp điều kiện của huyện. Ủy ban nhân dân huyện đề nghị nhân rộng ra toàn bộ 16 xã, thị trấn trong 6 tháng đầu năm 2024, với lộ trình:"),
			table([]float64{60, 55, 50},
				[]string{"Mô hình", "Phạm vi", "Thời hạn"},
				[]string{"\"6 trong 1\"", "16/16 xã, thị trấn", "31/3/2024"},
				[]string{"\"Một cửa không treo – hồ sơ không đọng\"", "16/16 xã, thị trấn", "30/4/2024"},
				[]string{"\"Công dân điện tử\"", "16/16 xã, thị trấn", "30/6/2024"},
			),
			p("Đồng thời đề nghị khen thưởng các tập thể có thành tích xuất sắc trong triển khai các mô hình (có dự thảo quyết định kèm theo)."),
			sign("TM. ỦY BAN NHÂN DÂN\nKT. CHỦ TỊCH\nPHÓ CHỦ TỊCH\n\nLê Minh Tuấn"),
		},
	}
}

func decisionDoc() demoDoc {
	return demoDoc{
		number: "       /QĐ-UBND",
		kind:   "QUYẾT ĐỊNH",
		title:  "Về việc khen thưởng các tập thể có thành tích xuất sắc trong công tác cải cách hành chính năm 2023",
		draft:  true,
		body: []block{
			center("CHỦ TỊCH ỦY BAN NHÂN DÂN HUYỆN THANH SƠN"),
			pdfSpacer(),
			p("Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015; Luật sửa đổi, bổ sung một số điều của Luật Tổ chức Chính phủ và Luật Tổ chức chính quyền địa phương ngày 22 tháng 11 năm 2019;"),
			p("Căn cứ Luật Thi đua, khen thưởng ngày 15 tháng 6 năm 2022;"),
			p("Căn cứ Nghị định số 98/2023/NĐ-CP ngày 31 tháng 12 năm 2023 của Chính phủ quy định chi tiết thi hành một số điều của Luật Thi đua, khen thưởng;"),
			p("Theo đề nghị của Trưởng phòng Nội vụ huyện và kết quả biểu quyết tại Hội nghị tổng kết công tác cải cách hành chính năm 2023."),
			center("QUYẾT ĐỊNH:"),
			p("Điều 1. Tặng Giấy khen của Chủ tịch Ủy ban nhân dân huyện cho 05 tập thể có thành tích xuất sắc trong công tác cải cách hành chính năm 2023 (có danh sách kèm theo)."),
			p("Điều 2. Mỗi tập thể được tặng Giấy khen kèm theo tiền thưởng theo quy định hiện hành, từ nguồn quỹ thi đua, khen thưởng của huyện."),
			p("Điều 3. Chánh Văn phòng HĐND và UBND huyện, Trưởng phòng Nội vụ, Trưởng phòng Tài chính - Kế hoạch, Thủ trưởng các cơ quan, đơn vị liên quan và các tập thể có tên tại Điều 1 chịu trách nhiệm thi hành Quyết định này."),
			sign("CHỦ TỊCH\n\nNguyễn Văn Hùng"),
			pageBreak(),
			center("DANH SÁCH"),
			center("05 tập thể được tặng Giấy khen của Chủ tịch UBND huyện"),
			table([]float64{15, 95, 55},
				[]string{"STT", "Tên tập thể", "Thành tích"},
				[]string{"1", "Bộ phận Một cửa UBND xã Tân Phú", "Dẫn đầu mô hình \"6 trong 1\""},
				[]string{"2", "UBND thị trấn Thanh Sơn", "Hồ sơ đúng hạn 99,9%"},
				[]string{"3", "Đoàn Thanh niên xã Tân Lập", "Mô hình \"Công dân điện tử\""},
				[]string{"4", "Phòng Tư pháp huyện", "Cải cách thể chế, hộ tịch"},
				[]string{"5", "Trung tâm Phục vụ hành chính công huyện", "\"Một cửa không treo – hồ sơ không đọng\""},
			),
			p("Danh sách gồm 05 (năm) tập thể, đã được Hội nghị tổng kết công tác cải cách hành chính năm 2023 biểu quyết thông qua."),
		},
	}
}

func pdfSpacer() block { return block{kind: "p", text: ""} }
