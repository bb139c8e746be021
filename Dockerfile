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

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/phonghop /phonghop
EXPOSE 8080
ENTRYPOINT ["/phonghop"]
CMD ["serve"]
