package vote

import (
	"bytes"
	"context"
	"errors"
	"image"
	_ "image/jpeg" // decoders for DecodeConfig
	_ "image/png"
	"io"

	"github.com/phonghop/phonghop"
	"github.com/phonghop/phonghop/storage"
)

// Candidates' photos are small images uploaded to the meeting and named by the
// candidates of its ballots (Candidate.Photo): meetings/{mid}/photos/{id},
// written once under a fresh id, so a tablet may cache one for good.

// Limits of a candidate's photo. The web app scales a photo down to 480 px
// before sending it, so a ballot of 30 candidates costs each tablet a few
// hundred KB at most.
const (
	MaxPhotoBytes  = 1 << 20
	MaxPhotoPixels = 4096 // per side
)

func photoKey(mid, id string) string { return "meetings/" + mid + "/photos/" + id }

// Photo is an uploaded photo.
type Photo struct {
	ID          string `json:"id"`
	ContentType string `json:"contentType"`
	Size        int64  `json:"size"`
	Width       int    `json:"width"`
	Height      int    `json:"height"`
}

// SavePhoto stores a candidate's photo (chair or secretary): a JPEG or PNG of
// at most MaxPhotoBytes and MaxPhotoPixels a side.
func (s *Service) SavePhoto(ctx context.Context, meetingID string, by phonghop.User, r io.Reader) (Photo, error) {
	m, err := s.meeting(ctx, meetingID)
	if err != nil {
		return Photo{}, err
	}
	if !m.HasRole(by.ID, phonghop.RoleChair, phonghop.RoleSecretary) {
		return Photo{}, phonghop.Fail(phonghop.EForbidden, "poll_chair_or_secretary_only")
	}
	b, err := io.ReadAll(io.LimitReader(r, MaxPhotoBytes+1))
	if err != nil {
		return Photo{}, err
	}
	if len(b) > MaxPhotoBytes {
		return Photo{}, phonghop.Fail(phonghop.ETooLarge, "photo_too_large", "max", MaxPhotoBytes>>10)
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(b))
	if err != nil || (format != "jpeg" && format != "png") {
		return Photo{}, phonghop.Fail(phonghop.EUnsupportedType, "photo_type")
	}
	if cfg.Width < 1 || cfg.Height < 1 || cfg.Width > MaxPhotoPixels || cfg.Height > MaxPhotoPixels {
		return Photo{}, phonghop.Fail(phonghop.EInvalid, "photo_dimensions", "max", MaxPhotoPixels)
	}
	id, err := newID()
	if err != nil {
		return Photo{}, err
	}
	p := Photo{ID: id, ContentType: "image/" + format, Size: int64(len(b)), Width: cfg.Width, Height: cfg.Height}
	_, err = s.Store.Put(ctx, photoKey(meetingID, id), bytes.NewReader(b), p.Size, storage.PutOptions{IfAbsent: true, ContentType: p.ContentType})
	if err != nil {
		return Photo{}, err
	}
	return p, nil
}

// OpenPhoto returns a photo's bytes and its info; the caller closes the reader.
func (s *Service) OpenPhoto(ctx context.Context, meetingID, id string) (io.ReadCloser, storage.Info, error) {
	if !validID(meetingID) || !validID(id) {
		return nil, storage.Info{}, errPhotoNotFound()
	}
	rc, info, err := s.Store.Get(ctx, photoKey(meetingID, id), nil)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, info, errPhotoNotFound()
	}
	return rc, info, err
}

func errPhotoNotFound() *phonghop.Error { return phonghop.Fail(phonghop.ENotFound, "photo_not_found") }

// checkPhotos checks that every photo the candidates name was uploaded to the
// meeting.
func (s *Service) checkPhotos(ctx context.Context, meetingID string, qs []phonghop.Question) error {
	for i, q := range qs {
		for j, c := range q.Candidates {
			if c.Photo == "" {
				continue
			}
			_, err := s.Store.Stat(ctx, photoKey(meetingID, c.Photo))
			if errors.Is(err, storage.ErrNotFound) {
				return phonghop.Fail(phonghop.EInvalid, "poll_candidate_photo_missing", "n", i+1, "c", j+1)
			}
			if err != nil {
				return err
			}
		}
	}
	return nil
}
