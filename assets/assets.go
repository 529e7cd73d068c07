// Package assets holds what the server serves to browsers: the landing page and, once built
// with `make web`, the browser client's bundle under web/. Both are embedded in the binary.
package assets

import "embed"

// Files are the embedded assets: index.html and the web/ folder.
//
//go:embed index.html web
var Files embed.FS
