# Builds the web app, then the single phonghop binary with the app embedded.
FROM node:20-bookworm AS web
WORKDIR /src/frontend
COPY frontend/package.json frontend/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY frontend/ ./
RUN npm run build

FROM golang:1.26-bookworm AS build
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
