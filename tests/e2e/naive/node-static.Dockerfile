# Naive single-stage build, as in most tutorials: the whole toolchain and
# node_modules ship in the final image, which serves dist/ with vite preview as root.
FROM node:22-trixie-slim
WORKDIR /app
COPY . .
RUN npm install
RUN npm run build
EXPOSE 8080
CMD ["npx", "vite", "preview", "--host", "0.0.0.0", "--port", "8080", "--strictPort"]
