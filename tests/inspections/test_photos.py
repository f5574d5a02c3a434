"""Site-visit photos: what is refused, what is stripped, what is stored."""

import io
import re
import struct
import zipfile
import zlib
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.utils import translation
from PIL import ExifTags, Image

from inspections import photos
from inspections.models import VisitPhoto
from inspections.photos import PhotoRejected, attach_photos, process_photo, validate_upload
from tests.factories import SiteVisitFactory

pytestmark = pytest.mark.django_db

MB = 1024 * 1024
LATITUDE = (31.0, 39.0, 12.5)
LONGITUDE = (120.0, 45.0, 1.0)


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def visit(media):
    return SiteVisitFactory()


def picture(size=(800, 600), mode="RGB") -> Image.Image:
    """A smooth test picture (photos compress; noise would not)."""
    ramp = Image.linear_gradient("L").resize(size)
    image = Image.merge("RGB", [ramp, ramp.transpose(Image.Transpose.FLIP_LEFT_RIGHT), ramp])
    return image.convert(mode)


def encode(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def phone_exif(*, orientation: int = 1, gps: bool = True) -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "AcmePhone"
    exif[ExifTags.Base.Model] = "Site Cam 3"
    exif[ExifTags.Base.Software] = "CamFirmware 1.2"
    exif[ExifTags.Base.DateTime] = "2026:04:08 10:15:00"
    exif[ExifTags.Base.Orientation] = orientation
    exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.DateTimeOriginal] = "2026:04:08 10:15:00"
    if gps:
        block = exif.get_ifd(ExifTags.IFD.GPSInfo)
        block[ExifTags.GPS.GPSLatitudeRef] = "N"
        block[ExifTags.GPS.GPSLatitude] = LATITUDE
        block[ExifTags.GPS.GPSLongitudeRef] = "E"
        block[ExifTags.GPS.GPSLongitude] = LONGITUDE
    return exif


def phone_jpeg(size=(800, 600), *, orientation: int = 1, gps: bool = True) -> bytes:
    return encode(
        picture(size),
        "JPEG",
        exif=phone_exif(orientation=orientation, gps=gps),
        comment=b"shot by Chen Huarui",
        xmp=b'<x:xmpmeta xmlns:x="adobe:ns:meta/">secret-xmp</x:xmpmeta>',
    )


def transparent_png() -> bytes:
    image = picture((400, 300), "RGBA")
    image.paste((0, 0, 0, 0), (0, 0, 200, 300))
    return encode(image, "PNG")


def upload(name: str, data: bytes, content_type: str = "image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def opened(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data))


def stored_files(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*") if path.is_file())


def png_with_size(width: int, height: int, *, rows: int | None = None) -> bytes:
    """A 1-bit PNG claiming the given size; ``rows`` of real (all-zero) data."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data)
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    row = b"\0" * (1 + (width + 7) // 8)
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    data = zlib.compress(row * (height if rows is None else rows), 9)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")
    )


class CountingFile(io.BytesIO):
    """Records how many bytes were read from it."""

    bytes_read = 0

    def read(self, size=-1):
        data = super().read(size)
        self.bytes_read += len(data)
        return data


# ---------------------------------------------------------------- metadata


def test_other_exif_and_gps_are_stripped_by_default():
    result = process_photo(upload("IMG_0001.jpg", phone_jpeg()), keep_location=False)

    image = opened(result.image_bytes)
    assert image.format == "JPEG"
    assert dict(image.getexif()) == {}
    assert image.getexif().get_ifd(ExifTags.IFD.GPSInfo) == {}
    assert "comment" not in image.info
    assert "xmp" not in image.info
    for secret in (b"AcmePhone", b"Site Cam", b"CamFirmware", b"2026:04:08", b"Chen", b"xmp"):
        assert secret not in result.image_bytes
    assert result.kept_location is False


def test_keep_location_keeps_only_the_gps_block():
    result = process_photo(upload("IMG_0002.jpg", phone_jpeg()), keep_location=True)

    exif = opened(result.image_bytes).getexif()
    assert set(exif) == {ExifTags.Base.GPSInfo}
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    assert gps[ExifTags.GPS.GPSLatitudeRef] == "N"
    assert tuple(float(v) for v in gps[ExifTags.GPS.GPSLatitude]) == LATITUDE
    assert gps[ExifTags.GPS.GPSLongitudeRef] == "E"
    assert tuple(float(v) for v in gps[ExifTags.GPS.GPSLongitude]) == LONGITUDE
    assert exif.get_ifd(ExifTags.IFD.Exif) == {}
    for secret in (b"AcmePhone", b"Site Cam", b"CamFirmware", b"Chen", b"xmp"):
        assert secret not in result.image_bytes
    assert result.kept_location is True
    # Thumbnails never carry the location.
    assert dict(opened(result.thumbnail_bytes).getexif()) == {}


def test_keep_location_on_a_photo_without_gps_records_no_location():
    result = process_photo(upload("IMG_0003.jpg", phone_jpeg(gps=False)), keep_location=True)

    assert dict(opened(result.image_bytes).getexif()) == {}
    assert result.kept_location is False


def test_exif_orientation_is_applied_to_the_pixels():
    source = Image.new("RGB", (200, 100), "red")
    source.paste((0, 0, 255), (100, 0, 200, 100))  # left red, right blue
    data = encode(source, "JPEG", exif=phone_exif(orientation=6, gps=False))

    result = process_photo(upload("rotated.jpg", data), keep_location=False)

    # Orientation 6: turn 90° clockwise to view, so the red left half ends up on top.
    image = opened(result.image_bytes).convert("RGB")
    assert image.size == (100, 200)
    red, _g, blue = image.getpixel((50, 20))
    assert red > 200 and blue < 60
    red, _g, blue = image.getpixel((50, 180))
    assert blue > 200 and red < 60
    assert ExifTags.Base.Orientation not in opened(result.image_bytes).getexif()


# ---------------------------------------------------------------- formats and sizes


def test_a_large_photo_is_downscaled_and_gets_a_small_thumbnail():
    result = process_photo(upload("wide.jpg", phone_jpeg((3200, 1800))), keep_location=False)

    assert opened(result.image_bytes).size == (photos.PHOTO_MAX_EDGE, 1440)
    assert (result.width, result.height) == (photos.PHOTO_MAX_EDGE, 1440)
    thumbnail = opened(result.thumbnail_bytes)
    assert thumbnail.format == "JPEG"
    assert thumbnail.size == (photos.THUMBNAIL_EDGE, 180)
    assert len(result.thumbnail_bytes) < 40_000


def test_a_small_photo_is_not_enlarged():
    result = process_photo(upload("small.jpg", phone_jpeg((640, 480))), keep_location=False)

    assert opened(result.image_bytes).size == (640, 480)
    assert opened(result.thumbnail_bytes).size == (320, 240)


def test_a_png_with_transparency_stays_a_transparent_png():
    result = process_photo(upload("plan.png", transparent_png(), "image/png"), keep_location=False)

    image = opened(result.image_bytes)
    assert image.format == "PNG"
    assert image.mode == "RGBA"
    assert image.getpixel((10, 10))[3] == 0
    assert image.getpixel((390, 10))[3] == 255
    assert result.image_name.endswith(".png")
    thumbnail = opened(result.thumbnail_bytes)
    assert (thumbnail.format, thumbnail.mode) == ("JPEG", "RGB")
    assert thumbnail.getpixel((5, 5)) == (255, 255, 255)  # transparency on white


def test_a_palette_png_with_transparency_keeps_it():
    source = Image.new("P", (60, 40), 1)
    source.putpalette([255, 255, 255, 200, 30, 30])
    source.paste(0, (0, 0, 30, 40))
    data = encode(source, "PNG", transparency=0)

    image = opened(process_photo(upload("logo.png", data), keep_location=False).image_bytes)

    assert image.format == "PNG"
    assert image.convert("RGBA").getpixel((5, 5))[3] == 0
    assert image.convert("RGBA").getpixel((50, 5)) == (200, 30, 30, 255)


def test_a_webp_stays_webp_and_loses_its_exif():
    data = encode(picture(), "WEBP", exif=phone_exif())

    result = process_photo(upload("site.webp", data, "image/webp"), keep_location=False)

    image = opened(result.image_bytes)
    assert image.format == "WEBP"
    assert dict(image.getexif()) == {}
    assert b"AcmePhone" not in result.image_bytes
    assert result.image_name.endswith(".webp")


def test_a_phone_mpo_jpeg_is_accepted_as_a_jpeg():
    frame = picture()
    data = encode(frame, "MPO", save_all=True, append_images=[frame], exif=phone_exif())

    result = process_photo(upload("IMG_MPO.jpg", data), keep_location=False)

    assert result.format == "JPEG"
    assert opened(result.image_bytes).format == "JPEG"
    assert b"AcmePhone" not in result.image_bytes


def test_the_type_comes_from_the_content_not_the_name():
    # A real PNG sent as "photo.jpg", image/jpeg: stored as what it is.
    result = process_photo(upload("photo.jpg", transparent_png()), keep_location=False)

    assert result.format == "PNG"
    assert result.image_name.endswith(".png")


def test_validate_upload_returns_the_decoded_image():
    image = validate_upload(upload("ok.jpg", phone_jpeg((320, 200))))

    assert image.format == "JPEG"
    assert image.size == (320, 200)


# ---------------------------------------------------------------- names


@pytest.mark.parametrize(
    ("sent", "shown"),
    [
        ("C:\\fakepath\\现场照片.jpg", "现场照片.jpg"),
        ("../../etc/passwd.jpg", "passwd.jpg"),
        ("report\u202egpj.exe", "reportgpj.exe"),
    ],
)
def test_the_original_name_is_kept_for_display_only(sent, shown):
    result = process_photo(upload(sent, phone_jpeg((64, 48))), keep_location=False)

    assert result.original_name == shown
    assert re.fullmatch(r"[0-9a-f]{32}\.jpg", result.image_name)
    assert result.thumbnail_name == result.image_name.replace(".jpg", "-thumb.jpg")


def test_a_nameless_upload_is_shown_as_photo():
    assert photos.display_name(None) == "photo"
    assert photos.display_name("C:\\fakepath\\") == "photo"


def test_a_long_original_name_is_cut_to_200_characters():
    result = process_photo(upload("照" * 300 + ".jpg", phone_jpeg((64, 48))), keep_location=False)

    assert result.original_name == "照" * 200


def test_stored_names_are_random():
    first = process_photo(upload("same.jpg", phone_jpeg((64, 48))), keep_location=False)
    second = process_photo(upload("same.jpg", phone_jpeg((64, 48))), keep_location=False)

    assert first.image_name != second.image_name


# ---------------------------------------------------------------- refusals


def zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("payload.html", "<script>alert(1)</script>")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("x.jpg", b"<html><script>alert(1)</script></html>"),
        ("y.jpg", zip_bytes()),
        ("anim.jpg", encode(picture((40, 30)), "GIF")),
        ("vector.png", b'<svg xmlns="http://www.w3.org/2000/svg"><script/></svg>'),
        ("empty.jpg", b""),
    ],
)
def test_a_file_that_is_not_a_jpeg_png_or_webp_is_refused(name, data):
    with pytest.raises(PhotoRejected) as caught:
        validate_upload(upload(name, data, "image/jpeg"))

    assert caught.value.code == "type"
    assert caught.value.name == name
    assert str(caught.value) == f"{name} is not a JPEG, PNG or WebP image."


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("cut.jpg", phone_jpeg((800, 600))[:-4000]),
        ("cut-early.jpg", phone_jpeg((800, 600))[:300]),
        ("cut.png", transparent_png()[:-200]),
        ("cut.webp", encode(picture(), "WEBP")[:-500]),
    ],
)
def test_a_truncated_image_is_refused(name, data):
    with pytest.raises(PhotoRejected) as caught:
        process_photo(upload(name, data), keep_location=False)

    assert caught.value.code == "damaged"
    assert str(caught.value) == f"{name} is damaged or incomplete; please upload it again."


def test_a_truncated_image_is_refused_after_a_pdf_was_rendered_in_the_same_process():
    # WeasyPrint switches Pillow to accepting truncated images when it is imported.
    from reports.pdf import html_to_pdf

    assert html_to_pdf("<p>简报</p>").startswith(b"%PDF")

    with pytest.raises(PhotoRejected) as caught:
        process_photo(upload("cut.jpg", phone_jpeg((800, 600))[:-4000]), keep_location=False)

    assert caught.value.code == "damaged"


def test_an_oversized_upload_is_refused():
    data = b"\xff\xd8\xff" + b"\0" * (10 * MB + MB // 2)

    with pytest.raises(PhotoRejected) as caught:
        validate_upload(upload("huge.jpg", data))

    assert caught.value.code == "size"
    assert str(caught.value) == "huge.jpg is 10.6 MB; the limit is 10 MB."


def test_an_oversized_upload_is_refused_without_reading_it():
    body = CountingFile(b"\xff\xd8\xff" + b"\0" * 1000)
    big = UploadedFile(file=body, name="50mb.jpg", content_type="image/jpeg", size=50 * MB)

    with pytest.raises(PhotoRejected) as caught:
        validate_upload(big)

    assert str(caught.value) == "50mb.jpg is 50.0 MB; the limit is 10 MB."
    assert body.bytes_read == 0


def test_an_upload_that_understates_its_size_is_read_only_to_the_limit(monkeypatch):
    monkeypatch.setattr(photos, "PHOTO_MAX_BYTES", 1000)
    body = CountingFile(phone_jpeg((400, 300)))
    liar = UploadedFile(file=body, name="liar.jpg", content_type="image/jpeg", size=100)

    with pytest.raises(PhotoRejected) as caught:
        validate_upload(liar)

    assert caught.value.code == "size"
    assert body.bytes_read == 1001


def test_a_decompression_bomb_is_refused_before_decoding():
    # 8000 × 8000 (64 megapixels) of valid, all-zero rows in a few kilobytes.
    bomb = png_with_size(8000, 8000)
    assert len(bomb) < 20_000

    with pytest.raises(PhotoRejected) as caught:
        validate_upload(upload("bomb.png", bomb, "image/png"))

    assert caught.value.code == "pixels"
    assert str(caught.value) == "bomb.png is too large an image (over 40 megapixels)."


def test_an_image_past_pillows_own_guard_is_refused(monkeypatch):
    # Past twice Image.MAX_IMAGE_PIXELS Pillow raises DecompressionBombError itself.
    monkeypatch.setattr(photos, "PHOTO_MAX_PIXELS", 10**12)
    bomb = png_with_size(30_000, 30_000, rows=1)

    with pytest.raises(PhotoRejected) as caught:
        validate_upload(upload("giant.png", bomb, "image/png"))

    assert caught.value.code == "pixels"


def test_limits_come_from_settings_with_defaults():
    expected = {
        "PHOTO_MAX_BYTES": 10 * MB,
        "PHOTO_MAX_PER_VISIT": 20,
        "PHOTO_MAX_PIXELS": 40_000_000,
        "PHOTO_MAX_EDGE": 2560,
        "THUMBNAIL_EDGE": 320,
    }
    for name, default in expected.items():
        assert getattr(photos, name) == getattr(django_settings, name, default)


# ---------------------------------------------------------------- attaching to a visit


def test_accepted_files_are_saved_and_rejected_ones_are_not(visit, media):
    files = [
        upload("IMG_0001.jpg", phone_jpeg()),
        upload("x.jpg", b"<html><script>alert(1)</script></html>"),
        upload("plan.png", transparent_png(), "image/png"),
        upload("cut.jpg", phone_jpeg()[:-4000]),
    ]

    saved, rejected = attach_photos(visit, files, keep_location=False)

    assert [photo.original_name for photo in saved] == ["IMG_0001.jpg", "plan.png"]
    assert [r.name for r in rejected] == ["x.jpg", "cut.jpg"]
    assert [r.code for r in rejected] == ["type", "damaged"]
    assert all(r.name in str(r) for r in rejected)
    rows = list(VisitPhoto.objects.filter(visit=visit))
    assert rows == saved
    for photo in rows:
        assert photo.kept_location is False
        assert re.fullmatch(rf"visits/{visit.pk}/[0-9a-f]{{32}}\.(jpg|png)", photo.image.name)
        assert photo.thumbnail.name.startswith(f"visits/{visit.pk}/")
        assert photo.thumbnail.name.endswith("-thumb.jpg")
        assert (media / photo.image.name).is_file()
        assert opened((media / photo.thumbnail.name).read_bytes()).size[0] <= 320
    assert len(stored_files(media)) == 4  # two photos, two thumbnails
    stored_names = [str(path.relative_to(media)) for path in stored_files(media)]
    assert not any("IMG_0001" in name or "plan" in name for name in stored_names)


def test_attach_with_keep_location_keeps_gps(visit, media):
    saved, rejected = attach_photos(visit, [upload("gps.jpg", phone_jpeg())], keep_location=True)

    assert rejected == []
    assert saved[0].kept_location is True
    gps = opened((media / saved[0].image.name).read_bytes()).getexif().get_ifd(0x8825)
    assert tuple(float(v) for v in gps[ExifTags.GPS.GPSLatitude]) == LATITUDE


def test_a_visit_takes_at_most_the_limit_counting_existing_photos(visit, media, monkeypatch):
    monkeypatch.setattr(photos, "PHOTO_MAX_PER_VISIT", 3)
    attach_photos(
        visit,
        [upload("a.jpg", phone_jpeg((64, 48))), upload("b.jpg", phone_jpeg((64, 48)))],
        keep_location=False,
    )

    saved, rejected = attach_photos(
        visit,
        [
            upload("bad.jpg", b"not an image"),
            upload("c.jpg", phone_jpeg((64, 48))),
            upload("d.jpg", phone_jpeg((64, 48))),
            upload("e.jpg", phone_jpeg((64, 48))),
        ],
        keep_location=False,
    )

    assert [photo.original_name for photo in saved] == ["c.jpg"]
    assert [(r.name, r.code) for r in rejected] == [
        ("bad.jpg", "type"),
        ("d.jpg", "limit"),
        ("e.jpg", "limit"),
    ]
    assert str(rejected[1]) == "d.jpg was not added: a visit takes at most 3 photos."
    assert visit.photos.count() == 3
    assert len(stored_files(media)) == 6


def test_the_default_limit_is_twenty_photos(visit, media):
    VisitPhoto.objects.bulk_create(
        VisitPhoto(visit=visit, image=f"visits/{n}.jpg", thumbnail=f"visits/{n}-t.jpg")
        for n in range(19)
    )

    saved, rejected = attach_photos(
        visit,
        [upload("20th.jpg", phone_jpeg((64, 48))), upload("21st.jpg", phone_jpeg((64, 48)))],
        keep_location=False,
    )

    assert [photo.original_name for photo in saved] == ["20th.jpg"]
    assert [str(r) for r in rejected] == [
        "21st.jpg was not added: a visit takes at most 20 photos."
    ]
    assert visit.photos.count() == 20


def test_a_file_that_cannot_be_stored_is_rejected_and_leaves_nothing(visit, media, monkeypatch):
    real_save = FileSystemStorage.save
    calls = []

    def failing_save(self, name, content, max_length=None):
        calls.append(name)
        if len(calls) == 4:  # the second photo's thumbnail
            raise OSError("disk full")
        return real_save(self, name, content, max_length=max_length)

    monkeypatch.setattr(FileSystemStorage, "save", failing_save)

    saved, rejected = attach_photos(
        visit,
        [upload("first.jpg", phone_jpeg((64, 48))), upload("second.jpg", phone_jpeg((64, 48)))],
        keep_location=False,
    )

    assert [photo.original_name for photo in saved] == ["first.jpg"]
    assert [(r.name, r.code) for r in rejected] == [("second.jpg", "storage")]
    assert str(rejected[0]) == "second.jpg could not be saved; please try again."
    assert visit.photos.count() == 1
    assert len(stored_files(media)) == 2  # the second photo's image was removed again


def test_a_database_failure_saves_no_row_and_removes_the_files(visit, media, monkeypatch):
    real_save = VisitPhoto.save
    calls = []

    def failing_save(self, *args, **kwargs):
        calls.append(self)
        if len(calls) == 2:
            raise RuntimeError("database went away")
        return real_save(self, *args, **kwargs)

    monkeypatch.setattr(VisitPhoto, "save", failing_save)

    with pytest.raises(RuntimeError):
        attach_photos(
            visit,
            [upload("one.jpg", phone_jpeg((64, 48))), upload("two.jpg", phone_jpeg((64, 48)))],
            keep_location=False,
        )

    assert visit.photos.count() == 0
    assert stored_files(media) == []


def test_discard_files_removes_what_attach_stored(visit, media):
    saved, _rejected = attach_photos(
        visit, [upload("a.jpg", phone_jpeg((64, 48)))], keep_location=False
    )
    assert len(stored_files(media)) == 2

    photos.discard_files(saved)

    assert stored_files(media) == []


def test_attaching_nothing_does_nothing(visit):
    assert attach_photos(visit, [], keep_location=False) == ([], [])
