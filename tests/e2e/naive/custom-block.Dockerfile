# Naive single-stage build, as in most tutorials: copy the site into the stock
# nginx image and switch its default server from port 80 to 8080.
FROM nginx:1.29-trixie
COPY . /usr/share/nginx/html/
RUN sed -i -E 's/listen( +)80;/listen\18080;/; s/listen( +)\[::\]:80;/listen\1[::]:8080;/' /etc/nginx/conf.d/default.conf
EXPOSE 8080
