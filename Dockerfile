# One image for every service; the command picks the service (`oco run <name>`).
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY shared ./shared
COPY services ./services
COPY oco ./oco
COPY deploy ./deploy
RUN pip install --no-cache-dir .
ENV OCO_HTTP_HOST=0.0.0.0
USER 10001
ENTRYPOINT ["oco"]
