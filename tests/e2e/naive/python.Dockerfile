# Naive single-stage build, as in most tutorials: pip installs into the system
# interpreter as root and the whole build context ships in the final image.
FROM python:3.13-slim-trixie
WORKDIR /app
COPY . .
RUN pip install -r requirements.txt
EXPOSE 8080
CMD ["gunicorn", "--bind", "0.0.0.0:8080", "app:app"]
