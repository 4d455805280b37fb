from __future__ import annotations

import pytest

from sms.backends import FileBasedBackend, LocmemBackend, Outgoing, get_backend
from sms.models import TextMessage
from sms.services import normalise_phone, opt_out, queue_sms
from sms.tasks import deliver_sms


@pytest.fixture
def locmem(settings):
    settings.SMS_BACKEND = "locmem"
    LocmemBackend.outbox.clear()
    yield LocmemBackend.outbox
    LocmemBackend.outbox.clear()


def test_backends_are_named_by_short_name_or_dotted_path(settings, tmp_path):
    settings.SMS_FILE_PATH = str(tmp_path)
    assert isinstance(get_backend("filebased"), FileBasedBackend)
    assert isinstance(get_backend("sms.backends.LocmemBackend"), LocmemBackend)
    get_backend("filebased").send(Outgoing("13812345678", "您好\n第二行"))
    [path] = tmp_path.iterdir()
    assert path.read_text(encoding="utf-8") == "13812345678\n您好\n第二行\n"


def test_console_is_the_default_and_prints_the_message(capsys):
    get_backend().send(Outgoing("13812345678", "编号7"))
    assert "13812345678: 编号7" in capsys.readouterr().out


@pytest.mark.parametrize("raw", ["+86 138 1234 5678", "0086-138-1234-5678", "13812345678"])
def test_phones_are_kept_as_eleven_digits(raw):
    assert normalise_phone(raw) == "13812345678"


def test_a_sent_message_is_recorded_and_not_sent_twice(db, locmem, eager):
    message = queue_sms("13812345678", "编号7", template="tracking", params=[7, "l"])
    deliver_sms.delay(message.pk)
    deliver_sms.delay(message.pk)
    message.refresh_from_db()
    assert (message.status, message.attempts, message.params) == ("sent", 1, ["7", "l"])
    assert [m.text for m in locmem] == ["编号7"]


def test_opting_out_stops_queued_messages_and_every_later_one(db, locmem):
    queued = queue_sms("13812345678", "第一条")
    assert opt_out("138 1234 5678") is True
    deliver_sms.apply(args=[queued.pk])
    later = queue_sms("+8613812345678", "第二条")
    assert later is not None and later.status == "suppressed"
    assert locmem == []
    assert set(TextMessage.objects.values_list("status", flat=True)) == {"suppressed"}


def test_a_reply_of_td_opts_the_phone_out(client, db, settings, locmem):
    settings.SMS_REPLY_TOKEN = "s3cret-callback"
    replies = [
        {"mobile": "13812345678", "nationcode": "86", "text": " TD ", "sign": "三服务"},
        {"mobile": "13900001111", "nationcode": "86", "text": "谢谢"},
    ]
    wrong = client.post("/sms/replies/guess/", replies, content_type="application/json")
    assert wrong.status_code == 404
    answer = client.post("/sms/replies/s3cret-callback/", replies, content_type="application/json")
    assert answer.status_code == 200 and answer.json()["result"] == 0
    assert queue_sms("13812345678", "编号8").status == "suppressed"
    assert queue_sms("13900001111", "编号9").status == "queued"
    bad = client.post("/sms/replies/s3cret-callback/", "{", content_type="application/json")
    assert bad.status_code == 400


def test_without_a_token_there_is_no_callback(client, db, settings):
    settings.SMS_REPLY_TOKEN = ""
    assert client.post("/sms/replies/x/", [], content_type="application/json").status_code == 404
