// Package frontend holds the built web app, embedded in the binary.
package frontend

import "embed"

// Dist is the output of `npm run build` (dist/.keep keeps the directory present
// in a fresh clone, so the Go build never fails for lack of it).
//
//go:embed all:dist
var Dist embed.FS
