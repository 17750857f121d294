"""Supporting documents: size and type limits, encryption under the client's key, and an
upload handler that keeps the file in memory (never in a plaintext temporary file) and
stops collecting once it is over the limit."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from typing import Any

from django.core.files.uploadedfile import InMemoryUploadedFile, UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopFutureHandlers

from therapia.clients.models import Client
from therapia.disclosures.models import SupportingDocument
from therapia.security import crypto

MAX_BYTES = 10 * 1024 * 1024
MAX_NAME = 200
# What may be uploaded: scanned orders, signed forms, reports. Checked by content, not name.
SIGNATURES = {
    "application/pdf": (b"%PDF-",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
}
ALLOWED_TEXT = "PDF, PNG or JPEG"


class DocumentRefused(ValueError):
    pass


@dataclass(frozen=True)
class Upload:
    name: str
    content_type: str
    data: bytes


def sniff(data: bytes) -> str | None:
    for content_type, magics in SIGNATURES.items():
        if any(data.startswith(magic) for magic in magics):
            return content_type
    return None


def check_upload(file: UploadedFile) -> Upload:
    """The upload as bytes, or DocumentRefused with a message for the form."""
    size = file.size or 0
    if size > MAX_BYTES:
        raise DocumentRefused(f"The file is {size / 1048576:.1f} MB; the limit is "
                              f"{MAX_BYTES // 1048576} MB.")
    data = file.read()
    if not data:
        raise DocumentRefused("The file is empty.")
    if len(data) > MAX_BYTES:
        raise DocumentRefused(f"The file is over the {MAX_BYTES // 1048576} MB limit.")
    content_type = sniff(data)
    if content_type is None:
        raise DocumentRefused(f"Upload a {ALLOWED_TEXT} file.")
    name = (file.name or "document").replace("\r", " ").replace("\n", " ")[-MAX_NAME:]
    return Upload(name=name, content_type=content_type, data=data)


def encrypt_into(document: SupportingDocument, *, client: Client, upload: Upload) -> None:
    """Fill the document row's ciphertext fields (the row's public id is bound into each)."""
    document.content = crypto.seal_bytes(document, "content", upload.data, client=client)
    document.name = crypto.seal(document, "name", upload.name, client=client)
    document.content_type = upload.content_type
    document.size = len(upload.data)
    document.sha256 = hashlib.sha256(upload.data).hexdigest()


def decrypt(document: SupportingDocument, *, client: Client) -> Upload:
    data = crypto.unseal_bytes(document, "content", client=client)
    if hashlib.sha256(data).hexdigest() != document.sha256:
        raise crypto.DecryptionFailed("The document does not match its recorded hash")
    return Upload(name=crypto.unseal(document, "name", client=client),
                  content_type=document.content_type,
                  data=data)


class CappedMemoryUpload(FileUploadHandler):
    """Every file in memory, up to MAX_BYTES; past that it keeps only the size, so the form
    can say how large it was. No other handler runs (no temporary file on disk)."""

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.buffer: io.BytesIO | None = io.BytesIO()
        raise StopFutureHandlers

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        if self.buffer is not None:
            if start + len(raw_data) > MAX_BYTES:
                self.buffer = None  # too large: stop keeping it
            else:
                self.buffer.write(raw_data)
        return None

    def file_complete(self, file_size: int) -> UploadedFile:
        content = self.buffer if self.buffer is not None else io.BytesIO()
        content.seek(0)
        return InMemoryUploadedFile(
            file=content, field_name=self.field_name, name=self.file_name,
            content_type=self.content_type, size=file_size, charset=self.charset,
            content_type_extra=self.content_type_extra)
