# Builds the web app, then the single phonghop binary with the app embedded.
FROM node:20-bookworm AS web
WORKDIR /src/frontend
COPY frontend/package.json frontend/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY frontend/ ./
# The API's error catalogue, which the app translates from (src/lib/i18n.ts).
COPY errors.json /src/errors.json
RUN npm run build

FROM golang:1.26-bookworm AS build
# The official image sets GOTOOLCHAIN=local, which ignores go.mod's `toolchain
# go1.26.10` line (the patched standard library): with auto, an image older than
# that fetches go1.26.10 through the module proxy, a newer one is used as it is.
ENV GOTOOLCHAIN=auto
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
COPY --from=web /src/frontend/dist ./frontend/dist
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/phonghop ./cmd/phonghop

# The runtime carries LibreOffice, which converts Word, Excel and PowerPoint
# uploads to PDF (a separate program, run per conversion), and the fonts with
# Word's metrics so its pages break where Word's do.
FROM debian:bookworm-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libreoffice-writer-nogui libreoffice-calc-nogui libreoffice-impress-nogui \
      fonts-liberation2 fonts-crosextra-carlito fonts-crosextra-caladea fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --uid 65532 --user-group --home-dir /home/nonroot --create-home nonroot
COPY --from=build /out/phonghop /phonghop
USER 65532:65532
ENV PHONGHOP_SOFFICE=/usr/bin/soffice
EXPOSE 8080
ENTRYPOINT ["/phonghop"]
CMD ["serve"]
