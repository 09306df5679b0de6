# Builds the jetgraph binaries (node-runner and the jetgraph CLI) as static
# executables and ships them on a distroless image as a non-root user.
#
#   docker build -t jetgraph .
#   docker run jetgraph --nats nats://nats:4222          # a node runner
#   docker run --entrypoint jetgraph jetgraph projector --nats nats://nats:4222

FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ENV CGO_ENABLED=0
RUN go build -buildvcs=false -trimpath -ldflags="-s -w" -o /out/node-runner ./cmd/node-runner \
 && go build -buildvcs=false -trimpath -ldflags="-s -w" -o /out/jetgraph ./cmd/jetgraph

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/node-runner /out/jetgraph /usr/local/bin/
USER nonroot:nonroot
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/node-runner"]
