FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
RUN DEBUG=False SECRET_KEY=collectstatic-only python manage.py collectstatic --noinput
EXPOSE 8000
# gthread workers sized by WEB_WORKERS / WEB_THREADS (config/gunicorn.py). On its own the
# image is the whole production start (migrate, schedule, collectstatic, gunicorn);
# docker-compose.yml runs those steps once in its migrate service and gunicorn here.
CMD ["bin/start"]
