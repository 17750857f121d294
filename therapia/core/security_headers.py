"""Response headers that Django's SecurityMiddleware and django-csp do not send.

- Permissions-Policy: no page of Therapia needs the camera, the microphone, the location or
  any other device feature, so none may use them, nor anything framed in them.
- Cross-Origin-Resource-Policy: other sites cannot load our responses as images, scripts or
  media (no-cors requests), which would expose them to side channels.
- Cache-Control: no-store on every response to a signed-in user. Those pages carry client
  data; neither the browser (back button, disk cache on a shared computer) nor a proxy may
  keep a copy. ASVS 5.0 14.3.2.

Place it directly after SecurityMiddleware, before WhiteNoise, so static files get the first
two headers too (and stay cacheable, since no user is attached to those requests).
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control

# Features Chromium and Firefox recognise (an unknown name makes Chromium log an error).
DENIED_FEATURES = (
    "accelerometer",
    "autoplay",
    "camera",
    "display-capture",
    "encrypted-media",
    "geolocation",
    "gyroscope",
    "hid",
    "magnetometer",
    "microphone",
    "midi",
    "payment",
    "serial",
    "usb",
    "xr-spatial-tracking",
)
PERMISSIONS_POLICY = ", ".join(f"{feature}=()" for feature in DENIED_FEATURES)


def _signed_in(request: HttpRequest) -> bool:
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated)


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        response.headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        if _signed_in(request):
            patch_cache_control(response, no_store=True, private=True)
        return response
