// Package demo seeds the demonstration meeting: the district People's
// Committee's year-end review of administrative reform for 2023, with its chair,
// secretary, delegates, agenda and documents. Seeding twice changes nothing.
package demo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/phonghop/phonghop"
	"github.com/phonghop/phonghop/accounts"
	"github.com/phonghop/phonghop/meetings"
	"github.com/phonghop/phonghop/storage"
)

// Password is every demo account's password.
const Password = "hop-khong-giay"

// Account is a demo sign-in.
type Account struct {
	Username, Password, DisplayName, Title string
	Role                                   phonghop.Role
}

// Info tells what Seed made.
type Info struct {
	MeetingID, MeetingTitle string
	Accounts                []Account
}

// Title of the demo meeting.
const Title = "Hội nghị tổng kết công tác cải cách hành chính năm 2023"

var people = []Account{
	{Username: "chutich", DisplayName: "Nguyễn Văn Hùng", Title: "Chủ tịch UBND huyện", Role: phonghop.RoleChair},
	{Username: "thuky", DisplayName: "Trần Thị Thu Hà", Title: "Chánh Văn phòng HĐND và UBND huyện", Role: phonghop.RoleSecretary},
	{Username: "daibieu01", DisplayName: "Lê Minh Tuấn", Title: "Phó Chủ tịch UBND huyện", Role: phonghop.RoleDelegate},
	{Username: "daibieu02", DisplayName: "Phạm Thị Hồng Nhung", Title: "Phó Chủ tịch UBND huyện", Role: phonghop.RoleDelegate},
	{Username: "daibieu03", DisplayName: "Hoàng Đức Thắng", Title: "Trưởng phòng Nội vụ", Role: phonghop.RoleDelegate},
	{Username: "daibieu04", DisplayName: "Vũ Thị Lan Anh", Title: "Trưởng phòng Tư pháp", Role: phonghop.RoleDelegate},
	{Username: "daibieu05", DisplayName: "Đặng Quốc Việt", Title: "Trưởng phòng Tài chính - Kế hoạch", Role: phonghop.RoleDelegate},
	{Username: "daibieu06", DisplayName: "Bùi Thị Ngọc Ánh", Title: "Trưởng phòng Tài nguyên và Môi trường", Role: phonghop.RoleDelegate},
	{Username: "daibieu07", DisplayName: "Đỗ Văn Khải", Title: "Trưởng phòng Kinh tế - Hạ tầng", Role: phonghop.RoleDelegate},
	{Username: "daibieu08", DisplayName: "Ngô Thị Phương Thảo", Title: "Trưởng phòng Văn hóa và Thông tin", Role: phonghop.RoleDelegate},
	{Username: "daibieu09", DisplayName: "Dương Văn Lợi", Title: "Trưởng phòng Giáo dục và Đào tạo", Role: phonghop.RoleDelegate},
	{Username: "daibieu10", DisplayName: "Lý Thị Huyền Trang", Title: "Giám đốc Trung tâm Phục vụ hành chính công", Role: phonghop.RoleDelegate},
	{Username: "daibieu11", DisplayName: "Trịnh Công Sơn", Title: "Chủ tịch UBND thị trấn", Role: phonghop.RoleDelegate},
	{Username: "daibieu12", DisplayName: "Mai Xuân Trường", Title: "Chủ tịch UBND xã Tân Phú", Role: phonghop.RoleDelegate},
	{Username: "quansat", DisplayName: "Phan Thị Mỹ Linh", Title: "Phóng viên Đài Truyền thanh huyện", Role: phonghop.RoleObserver},
}

// Seed creates what is missing of the demo and returns its accounts.
func Seed(ctx context.Context, acc *accounts.Service, mtg *meetings.Service) (Info, error) {
	info := Info{MeetingTitle: Title}
	ids := map[string]string{}
	for _, p := range people {
		u, err := acc.Create(ctx, accounts.NewUser{Username: p.Username, Password: Password, DisplayName: p.DisplayName})
		if phonghop.ErrorCode(err) == phonghop.EConflict {
			u, err = acc.ByUsername(ctx, p.Username)
		}
		if err != nil {
			return info, fmt.Errorf("user %s: %w", p.Username, err)
		}
		ids[p.Username] = u.ID
		p.Password = Password
		info.Accounts = append(info.Accounts, p)
	}

	// The meeting is claimed create-only under a fixed key, so two seeds (even in
	// two processes) make one meeting.
	var claim struct {
		MeetingID string `json:"meetingId"`
		Done      bool   `json:"done"`
	}
	_, err := storage.GetJSON(ctx, mtg.Store, "demo/meeting.json", &claim)
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return info, err
	}
	if claim.Done {
		info.MeetingID = claim.MeetingID
		return info, nil
	}
	m, err := mtg.Create(ctx, meetings.NewMeeting{
		Title:        Title,
		StartsAt:     time.Date(2024, 1, 12, 8, 0, 0, 0, time.FixedZone("ICT", 7*3600)),
		Location:     "Hội trường UBND huyện",
		Language:     "vi",
		Organization: "ỦY BAN NHÂN DÂN HUYỆN TÂN PHÚ",
		PlaceName:    "Tân Phú",
		// The number the records office gives the minutes (Decree 30: số, ký hiệu).
		DocumentNumber: "05/BB-UBND",
	})
	if err != nil {
		return info, err
	}
	var changes []meetings.ParticipantChange
	for _, p := range people {
		changes = append(changes, meetings.ParticipantChange{UserID: ids[p.Username], Role: p.Role, Title: p.Title})
	}
	if _, _, err := mtg.SetParticipants(ctx, m.ID, changes); err != nil {
		return info, err
	}
	chair := phonghop.User{ID: ids["chutich"], Username: "chutich"}
	docIDs := map[string]string{}
	for _, d := range Documents() {
		doc, err := mtg.AddDocument(ctx, m.ID, d.Name, bytes.NewReader(d.Data), chair)
		if err != nil {
			return info, fmt.Errorf("document %s: %w", d.Name, err)
		}
		docIDs[d.Name] = doc.ID
	}
	docs := func(names ...string) []string {
		var out []string
		for _, n := range names {
			if id, ok := docIDs[n]; ok {
				out = append(out, id)
			}
		}
		return out
	}
	all := Documents()
	name := func(i int) string {
		if i < len(all) {
			return all[i].Name
		}
		return ""
	}
	items := []meetings.NewItem{
		{Title: "Khai mạc hội nghị, giới thiệu đại biểu", Presenter: ids["thuky"], DurationMinutes: 10},
		{Title: "Báo cáo tổng kết công tác cải cách hành chính năm 2023, phương hướng nhiệm vụ năm 2024", Presenter: ids["daibieu03"], DurationMinutes: 30, DocumentIDs: docs(name(0))},
		{Title: "Báo cáo các mô hình, cách làm hay cần nhân rộng: \"6 trong 1\", \"Một cửa không treo – hồ sơ không đọng\", \"Công dân điện tử\"", Presenter: ids["daibieu10"], DurationMinutes: 25, DocumentIDs: docs(name(1))},
		{Title: "Thảo luận", DurationMinutes: 45},
		{Title: "Biểu quyết khen thưởng 05 tập thể có thành tích xuất sắc trong công tác cải cách hành chính", Presenter: ids["daibieu03"], DurationMinutes: 15, DocumentIDs: docs(name(2))},
		{Title: "Phát biểu kết luận của Chủ tịch UBND huyện", DurationMinutes: 15},
	}
	for _, it := range items {
		if it.DocumentIDs == nil {
			it.DocumentIDs = []string{}
		}
		if _, err := mtg.AddItem(ctx, m.ID, it); err != nil {
			return info, err
		}
	}
	claim.MeetingID, claim.Done = m.ID, true
	_, err = storage.PutJSON(ctx, mtg.Store, "demo/meeting.json", claim, storage.PutOptions{IfAbsent: true})
	if errors.Is(err, storage.ErrPrecondition) {
		// Another seed finished first: keep its meeting, drop ours from the lists.
		_ = mtg.Store.Delete(ctx, "index/meetings/"+m.ID)
		for _, id := range ids {
			_ = mtg.Store.Delete(ctx, "index/members/"+id+"/"+m.ID)
		}
		_, err = storage.GetJSON(ctx, mtg.Store, "demo/meeting.json", &claim)
		info.MeetingID = claim.MeetingID
		return info, err
	}
	info.MeetingID = m.ID
	return info, err
}
