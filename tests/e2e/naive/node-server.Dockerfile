# Naive single-stage build, as in most tutorials: devDependencies and sources
# stay in the final image, which runs the server through npm as root.
FROM node:22-trixie-slim
WORKDIR /app
COPY . .
RUN npm install
RUN npm run build
EXPOSE 8080
CMD ["npm", "start"]
