#!/usr/bin/env python3
"""Writes the generated part of the mail corpus: NAME.eml (as the named agent writes it, in the
charset and transfer encoding it uses), NAME.expected.txt (the SMS text it must become) and, where
the account has settings, NAME.options. Run once; the output is committed, and tests read the
committed files (this script is how they were made, so they can be made again).

    python3 tests/data/mail/make_corpus.py
"""
import base64
import os
import quopri

HERE = os.path.dirname(os.path.abspath(__file__))
CRLF = "\r\n"


def qp(data: bytes) -> bytes:
    # Encoded on LF lines (quopri would write a CR as =0D), sent with CRLF as mail is.
    return quopri.encodestring(data.replace(b"\r\n", b"\n")).replace(b"\n", b"\r\n")


def b64(data: bytes) -> bytes:
    s = base64.encodebytes(data).replace(b"\n", b"\r\n")
    return s


def crlf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\n", CRLF)


def word(text: str, charset: str = "utf-8", enc: str = "B") -> str:
    raw = text.encode(charset)
    if enc == "B":
        return "=?%s?B?%s?=" % (charset.upper(), base64.b64encode(raw).decode())
    q = "".join(c if c.isalnum() else "=%02X" % ord(c) for c in raw.decode("latin-1"))
    return "=?%s?Q?%s?=" % (charset, q)


def part(text: str, charset: str = "utf-8", cte: str = "7bit", subtype: str = "plain",
         extra: str = "", params: str = "") -> bytes:
    raw = crlf(text).encode(charset)
    body = {"7bit": raw, "8bit": raw, "quoted-printable": qp(raw), "base64": b64(raw)}[cte]
    head = "Content-Type: text/%s; charset=%s%s\r\n%sContent-Transfer-Encoding: %s\r\n\r\n" % (
        subtype, charset if charset != "utf-8" else '"UTF-8"', params, extra, cte)
    return head.encode() + body


def multipart(subtype: str, boundary: str, parts, preamble: str = "", close: bool = True,
              params: str = "") -> bytes:
    out = ("Content-Type: multipart/%s;%s boundary=\"%s\"\r\n\r\n%s" % (
        subtype, params, boundary, preamble)).encode()
    for p in parts:
        out += b"--" + boundary.encode() + b"\r\n" + p + b"\r\n"
    if close:
        out += b"--" + boundary.encode() + b"--\r\n"
    return out


def write(name: str, headers: str, body: bytes, expected: str, options: str = ""):
    with open(os.path.join(HERE, name + ".eml"), "wb") as f:
        f.write(crlf(headers.strip("\n") + "\n").encode("utf-8") + body)
    with open(os.path.join(HERE, name + ".expected.txt"), "w", encoding="utf-8") as f:
        f.write(expected + "\n")
    if options:
        with open(os.path.join(HERE, name + ".options"), "w", encoding="utf-8") as f:
            f.write(options.strip() + "\n")


def mime(headers: str) -> str:
    return headers.strip("\n") + "\nMIME-Version: 1.0\n"


def thunderbird():
    h = mime("""
Message-ID: <5b1c9e0a-3f1e-4c2b-9a61-0c1d2e3f4a5b@example.org>
Date: Mon, 4 Mar 2024 10:15:03 +0100
User-Agent: Mozilla Thunderbird
Content-Language: en-GB
To: +27821234567@sms.example.com
From: Ann Example <ann@example.org>
Subject: Meeting moved""")
    write("thunderbird_flowed_signature", h,
          part("Hi Bob,\n\nthe meeting is moved to Thursday at 14:00 in room 2.12, the one next to the \n"
               "kitchen. Bring the budget figures. \nThanks!\n\n-- \nAnn Example\nHead of Operations\n",
               params="; format=flowed", cte="8bit"),
          "Hi Bob,\n\nthe meeting is moved to Thursday at 14:00 in room 2.12, the one next to the "
          "kitchen. Bring the budget figures. Thanks!")
    h = mime("""
Message-ID: <a1b2c3d4-0000-4000-8000-000000000001@example.de>
Date: Tue, 5 Mar 2024 08:01:44 +0100
User-Agent: Mozilla Thunderbird
Subject: Re: Rechnung
To: +491701234567@sms.example.com
References: <rechnung-42@example.de>
In-Reply-To: <rechnung-42@example.de>
From: =?UTF-8?Q?J=C3=BCrgen_M=C3=BCller?= <juergen@example.de>""")
    write("thunderbird_reply_iso8859_15", h,
          part("Die Rechnung über 120 € ist bezahlt.\n\nAm 04.03.24 um 17:02 schrieb Buchhaltung:\n"
               "> Bitte begleichen Sie die Rechnung.\n>\n> Mit freundlichen Grüßen\n",
               charset="iso-8859-15", cte="8bit", params="; format=flowed"),
          "Die Rechnung über 120 € ist bezahlt.")
    h = mime("""
Message-ID: <tb-alt-1@example.org>
Date: Wed, 6 Mar 2024 12:00:00 +0000
User-Agent: Mozilla Thunderbird
From: Ann Example <ann@example.org>
To: 0821234567@sms.example.com
Subject: Lunch""")
    write("thunderbird_alternative_qp", h, multipart("alternative", "------------tb0123456789", [
        part("Lunch at Café Nero — 12:30? ☕\n", cte="quoted-printable"),
        part("<html><body><p>Lunch at <b>Café Nero</b> — 12:30? ☕</p></body></html>\n",
             cte="quoted-printable", subtype="html")], preamble="This is a multi-part message in MIME format.\r\n"),
          "Lunch at Café Nero — 12:30? ☕")
    h = mime("""
Message-ID: <tb-koi8@example.ru>
Date: Thu, 7 Mar 2024 09:00:00 +0300
User-Agent: Mozilla Thunderbird
From: =?KOI8-R?B?7MXOwQ==?= <lena@example.ru>
To: +79161234567@sms.example.com
Subject: =?KOI8-R?B?98/Q0s/T?=""")
    write("thunderbird_koi8r", h,
          part("Сервер перезагружен в 09:00.\nВсё работает.\n", charset="koi8-r", cte="8bit"),
          "Сервер перезагружен в 09:00.\nВсё работает.")


def outlook():
    h = mime("""
From: "Smith, Peter" <peter.smith@corp.example.com>
To: "+27821234567@sms.example.com" <+27821234567@sms.example.com>
Subject: RE: Purchase order 4711
Thread-Topic: Purchase order 4711
Thread-Index: AdpuAbCdEfGhIjKlMnOpQrStUvWxYz==
Date: Mon, 4 Mar 2024 09:12:33 +0000
Message-ID: <AM0PR01MB1234ABCD5678EF90@AM0PR01MB1234.eurprd01.prod.exchangelabs.com>
Accept-Language: en-US
Content-Language: en-US
X-MS-Has-Attach:
X-MS-TNEF-Correlator:""")
    plain = ("Approved – please go ahead, it’s within budget.\n\nPeter\n\n"
             "________________________________\nFrom: Jones, Mary <mary.jones@corp.example.com>\n"
             "Sent: Monday, March 4, 2024 9:01 AM\nTo: Smith, Peter <peter.smith@corp.example.com>\n"
             "Subject: Purchase order 4711\n\nCan you approve PO 4711?\n\n"
             "CONFIDENTIALITY NOTICE: This e-mail and any attachments are confidential and may be "
             "privileged. If you are not the intended recipient, notify the sender and delete it.\n")
    html = ("<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=windows-1252\">"
            "<style><!-- p.MsoNormal {margin:0cm;} --></style></head><body lang=EN-US>"
            "<div class=WordSection1><p class=MsoNormal>Approved &#8211; please go ahead, it&#8217;s within budget."
            "<o:p></o:p></p></div></body></html>")
    write("outlook_reply_disclaimer", h, multipart("alternative", "_000_AM0PR01MB1234ABCD5678EF90AM0PR01MB1234eurp_", [
        part(plain, charset="windows-1252", cte="quoted-printable"),
        part(html, charset="windows-1252", cte="quoted-printable", subtype="html")]),
          "Approved – please go ahead, it’s within budget.\n\nPeter",
          options="disclaimer: ^CONFIDENTIALITY NOTICE")
    h = mime("""
From: IT Helpdesk <helpdesk@corp.example.com>
To: <+27821234567@sms.example.com>
Subject: RE: VPN
Date: Tue, 5 Mar 2024 11:00:00 +0200
Message-ID: <000001da6e9b$1c2d3e40$54b7bac0$@corp.example.com>
X-Mailer: Microsoft Outlook 16.0
Thread-Index: AQHabp4h""")
    write("outlook_original_message", h,
          part("Your VPN account is unlocked.\n\n-----Original Message-----\nFrom: Bob\n"
               "Sent: Tuesday, March 5, 2024 10:40 AM\nTo: IT Helpdesk\nSubject: VPN\n\n"
               "My VPN account is locked.\n", charset="us-ascii"),
          "Your VPN account is unlocked.")
    h = mime("""
From: Facilities <facilities@corp.example.com>
To: <+27821234567@sms.example.com>
Subject: Fire drill
Date: Wed, 6 Mar 2024 07:30:00 +0000
Message-ID: <DB9PR02MB5555@DB9PR02MB5555.eurprd02.prod.outlook.com>
X-MS-Exchange-Organization-AuthAs: Internal""")
    write("exchange_transport_disclaimer_base64", h,
          part("Fire drill today at 11:00. Leave by the stairs, not the lifts.\n\n"
               "Disclaimer\nThe information contained in this communication from the sender is "
               "confidential. It is intended solely for use by the recipient and others authorized "
               "to receive it.\n\nThis email has been scanned for viruses and malware.\n", cte="base64"),
          "Fire drill today at 11:00. Leave by the stairs, not the lifts.",
          options="disclaimer: ^Disclaimer$\ndisclaimer: has been scanned for viruses")
    h = mime("""
From: =?koi8-r?B?7snLz8zByg==?= <nikolay@example.ru>
To: <+79161234567@sms.example.com>
Subject: =?windows-1251?B?0uXs4DogwuDu8OA=?=
Date: Thu, 7 Mar 2024 12:00:00 +0300
Message-ID: <000501da7070$aabbccdd$eeff0011$@example.ru>
X-Mailer: Microsoft Outlook 16.0""")
    write("outlook_windows1251_reply", h,
          part("Согласовано, отправляйте.\n\nОт: Мария <maria@example.ru>\nОтправлено: 7 марта 2024 г. 11:00\n"
               "Кому: Николай\nТема: Договор\n\nНужно согласовать договор.\n",
               charset="windows-1251", cte="quoted-printable"),
          "Согласовано, отправляйте.")
    h = mime("""
From: Reception <reception@corp.example.com>
To: <+27821234567@sms.example.com>
Subject: Visitor
Date: Fri, 8 Mar 2024 09:00:00 +0000
Message-ID: <VI1PR03MB0001@VI1PR03MB0001.eurprd03.prod.outlook.com>""")
    write("outlook_html_only_msonormal", h,
          part("<html xmlns:o=\"urn:schemas-microsoft-com:office:office\"><head>"
               "<meta name=Generator content=\"Microsoft Word 15 (filtered medium)\"><style>"
               "p.MsoNormal{margin:0cm;font-size:11.0pt;}</style></head><body lang=EN-GB>"
               "<div class=WordSection1><p class=MsoNormal>Your visitor&nbsp;<b>Mr&nbsp;Dlamini</b> is at reception."
               "<o:p></o:p></p><p class=MsoNormal><o:p>&nbsp;</o:p></p><p class=MsoNormal>Kind regards,<o:p></o:p></p>"
               "<p class=MsoNormal>Reception<o:p></o:p></p></div></body></html>\n",
               charset="windows-1252", cte="quoted-printable", subtype="html"),
          "Your visitor Mr Dlamini is at reception.\n\nKind regards,\n\nReception")


def apple():
    h = mime("""
From: Ann Example <ann@example.org>
Content-Transfer-Encoding: quoted-printable
Mime-Version: 1.0 (Mac OS X Mail 16.0 \\(3774.400.31\\))
Subject: Re: Keys
Date: Mon, 4 Mar 2024 18:20:11 +0100
References: <keys-1@example.org>
To: +27821234567@sms.example.com
In-Reply-To: <keys-1@example.org>
Message-Id: <8D3E7A1B-2C4F-4E0A-9B6D-1F2E3D4C5B6A@example.org>
X-Mailer: Apple Mail (2.3774.400.31)""")
    body = ("The keys are under the mat.\n\n> On 4 Mar 2024, at 18:01, Bob Example <bob@example.org> wrote:\n"
            ">\n> Where are the keys?\n>\n")
    write("apple_mail_reply_qp", h,
          b"Content-Type: text/plain;\r\n\tcharset=utf-8\r\n\r\n" + qp(crlf(body).encode()),
          "The keys are under the mat.")
    h = mime("""
From: Ann Example <ann@example.org>
Mime-Version: 1.0 (Mac OS X Mail 16.0 \\(3774.400.31\\))
Subject: Dinner
Date: Tue, 5 Mar 2024 17:00:00 +0100
To: +27821234567@sms.example.com
Message-Id: <11111111-2222-3333-4444-555555555555@example.org>
X-Mailer: Apple Mail (2.3774.400.31)""")
    write("apple_mail_alternative", h, multipart("alternative", "Apple-Mail=_9F8E7D6C-5B4A-3928-1706-F5E4D3C2B1A0", [
        part("Dinner at 19:30 – table for four.\n", cte="quoted-printable"),
        part("<html><head><meta http-equiv=\"content-type\" content=\"text/html; charset=utf-8\"></head>"
             "<body style=\"overflow-wrap: break-word;\">Dinner at 19:30 – table for four.</body></html>",
             cte="quoted-printable", subtype="html")]),
          "Dinner at 19:30 – table for four.")
    h = mime("""
From: Ann Example <ann@example.org>
Mime-Version: 1.0 (Mac OS X Mail 16.0 \\(3774.400.31\\))
Subject: Fwd: Your parcel
Date: Wed, 6 Mar 2024 10:00:00 +0100
To: +27821234567@sms.example.com
Message-Id: <22222222-3333-4444-5555-666666666666@example.org>""")
    write("apple_mail_forward", h,
          part("\nBegin forwarded message:\n\nFrom: Parcel Service <noreply@parcel.example.com>\n"
               "Subject: Your parcel\nDate: 6 March 2024 at 09:12:00 CET\nTo: ann@example.org\n\n"
               "Your parcel 1Z999 will arrive today between 10:00 and 12:00.\n", cte="7bit", charset="us-ascii"),
          "Your parcel 1Z999 will arrive today between 10:00 and 12:00.")


def gmail():
    h = mime("""
References: <CAbcdef@mail.gmail.com>
In-Reply-To: <CAbcdef@mail.gmail.com>
From: Bob Example <bob.example@gmail.com>
Date: Mon, 4 Mar 2024 10:05:12 +0200
Message-ID: <CAF1a2b3c4d5e6f7g8h9i0jKLMNOPqrstUVWXyz@mail.gmail.com>
Subject: Re: Server
To: +27821234567@sms.example.com""")
    write("gmail_reply_alternative", h, multipart("alternative", "000000000000a1b2c3061273e5f1", [
        part("Restarted it, all green now.\n\nOn Mon, Mar 4, 2024 at 10:00 AM Ann Example <\n"
             "ann@example.org> wrote:\n\n> Can you restart web1?\n>\n"),
        part("<div dir=\"ltr\">Restarted it, all green now.</div><br><div class=\"gmail_quote\">"
             "<div dir=\"ltr\" class=\"gmail_attr\">On Mon, Mar 4, 2024 at 10:00 AM Ann Example &lt;"
             "<a href=\"mailto:ann@example.org\">ann@example.org</a>&gt; wrote:<br></div>"
             "<blockquote class=\"gmail_quote\">Can you restart web1?</blockquote></div>\n", subtype="html")]),
          "Restarted it, all green now.")
    h = mime("""
From: Bob Example <bob.example@gmail.com>
Date: Tue, 5 Mar 2024 11:00:00 +0200
Message-ID: <CAF2b3c4d5e6f7g8h9i0jKLMNOPqrstUVWXyz0@mail.gmail.com>
Subject: Fwd: Maintenance window
To: +27821234567@sms.example.com""")
    write("gmail_forward", h, multipart("alternative", "000000000000b2c3d4061273e5f2", [
        part("FYI\n\n---------- Forwarded message ---------\nFrom: NOC <noc@isp.example.net>\n"
             "Date: Tue, Mar 5, 2024 at 10:30 AM\nSubject: Maintenance window\nTo: <bob.example@gmail.com>\n\n\n"
             "Planned maintenance on 12 March, 01:00-03:00 UTC. Expect a short outage.\n"),
        part("<div dir=\"ltr\">FYI<br><br><div class=\"gmail_quote\">---------- Forwarded message ---------<br>"
             "From: NOC</div><div>Planned maintenance on 12 March, 01:00-03:00 UTC.</div></div>", subtype="html")]),
          "FYI\n\nPlanned maintenance on 12 March, 01:00-03:00 UTC. Expect a short outage.")
    h = mime("""
From: Carla <carla.example@gmail.com>
Date: Wed, 6 Mar 2024 20:00:00 +0100
Message-ID: <CAF3c4d5e6f7g8h9i0jKLMNOPqrstUVWXyz01@mail.gmail.com>
Subject: =?UTF-8?B?8J+OiSBQYXJ0eQ==?=
To: +34612345678@sms.example.com""")
    write("gmail_emoji_base64", h, multipart("alternative", "000000000000c3d4e5061273e5f3", [
        part("¡Fiesta el sábado! 🎉🎂 Trae algo de beber 🍷\n", cte="base64"),
        part("<div dir=\"ltr\">¡Fiesta el sábado! 🎉🎂 Trae algo de beber 🍷</div>\n", cte="base64", subtype="html")]),
          "¡Fiesta el sábado! 🎉🎂 Trae algo de beber 🍷")
    h = mime("""
From: Bob Example <bob.example@gmail.com>
Date: Thu, 7 Mar 2024 09:00:00 +0200
Message-ID: <CAF4d5e6f7g8h9i0jKLMNOPqrstUVWXyz012@mail.gmail.com>
Subject: Invoice
To: +27821234567@sms.example.com""")
    inner = multipart("alternative", "000000000000d4e5f6061273e5f4", [
        part("Invoice attached, due 31 March.\n"),
        part("<div dir=\"ltr\">Invoice attached, due 31 March.</div>\n", subtype="html")])
    pdf = (b"Content-Type: application/pdf; name=\"invoice-2024-03.pdf\"\r\n"
           b"Content-Disposition: attachment; filename=\"invoice-2024-03.pdf\"\r\n"
           b"Content-Transfer-Encoding: base64\r\nContent-ID: <f_lt0abc120>\r\nX-Attachment-Id: f_lt0abc120\r\n\r\n"
           + b64(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"))
    write("gmail_mixed_pdf_attachment", h, multipart("mixed", "000000000000e5f6a7061273e5f5", [inner, pdf]),
          "Invoice attached, due 31 March.")


def phones():
    h = mime("""
From: Ann Example <ann@example.org>
Content-Type: text/plain; charset=us-ascii
Content-Transfer-Encoding: 7bit
Mime-Version: 1.0 (1.0)
Date: Mon, 4 Mar 2024 07:45:00 +0200
Subject: Late
Message-Id: <A1B2C3D4-E5F6-4789-ABCD-EF0123456789@example.org>
To: +27821234567@sms.example.com
X-Mailer: iPhone Mail (21D61)""")
    write("ios_iphone_footer", h, b"\r\n" + crlf("Running 10 minutes late, start without me.\n\nSent from my iPhone\n").encode(),
          "Running 10 minutes late, start without me.")
    h = mime("""
From: Ann Example <ann@example.org>
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable
Mime-Version: 1.0 (1.0)
Date: Mon, 4 Mar 2024 15:02:00 +0200
Subject: Re: Meet at 3?
Message-Id: <B1B2C3D4-E5F6-4789-ABCD-EF0123456789@example.org>
In-Reply-To: <meet-3@example.org>
To: +27821234567@sms.example.com
X-Mailer: iPhone Mail (21D61)""")
    write("ios_reply_quoted", h, b"\r\n" + qp(crlf(
        "Yes 👍\n\nSent from my iPhone\n\n> On 4 Mar 2024, at 14:55, Bob Example <bob@example.org> wrote:\n"
        "> \n> Meet at 3?\n").encode()), "Yes 👍")
    h = mime("""
From: Jens Beispiel <jens@example.de>
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable
Mime-Version: 1.0 (1.0)
Date: Tue, 5 Mar 2024 08:00:00 +0100
Subject: Zug
Message-Id: <C1B2C3D4-E5F6-4789-ABCD-EF0123456789@example.de>
To: +491701234567@sms.example.com
X-Mailer: iPad Mail (21D61)""")
    write("ios_german_footer", h, b"\r\n" + qp(crlf("Zug fällt aus, ich komme später.\n\nVon meinem iPad gesendet\n").encode()),
          "Zug fällt aus, ich komme später.")
    h = mime("""
From: Thabo <thabo@example.co.za>
To: +27821234567@sms.example.com
Subject: Gate
Date: Wed, 6 Mar 2024 17:00:00 +0200
Message-ID: <abcdef.1234@email.android.com>""")
    write("android_samsung_footer", h, multipart("alternative", "--_com.samsung.android.email_1234567890", [
        part("Gate code is 4821#\n\n\n\nSent from my Galaxy\n", cte="base64"),
        part("<html><body><div dir=\"auto\">Gate code is 4821#</div><div dir=\"auto\"><br></div>"
             "<div id=\"composer_signature\" dir=\"auto\"><div style=\"font-size:85%\">Sent from my Galaxy</div></div>"
             "</body></html>", cte="base64", subtype="html")]),
          "Gate code is 4821#")
    h = mime("""
From: Lerato <lerato@example.co.za>
To: "+27821234567@sms.example.com" <+27821234567@sms.example.com>
Subject: Parking
Date: Thu, 7 Mar 2024 08:10:00 +0000
Message-ID: <PAXP123MB0001@PAXP123MB0001.EURP123.PROD.OUTLOOK.COM>""")
    write("android_outlook_footer", h, multipart("alternative", "_000_PAXP123MB0001PAXP123MB0001EURP_", [
        part("Moved my car to bay 12.\n\nGet Outlook for Android<https://aka.ms/AAb9ysg>\n", cte="quoted-printable",
             charset="iso-8859-1"),
        part("<html><body><div dir=\"auto\">Moved my car to bay 12.</div><div dir=\"auto\"><br></div>"
             "<div dir=\"auto\">Get <a href=\"https://aka.ms/AAb9ysg\">Outlook for Android</a></div></body></html>",
             cte="quoted-printable", charset="iso-8859-1", subtype="html")]),
          "Moved my car to bay 12.")
    h = mime("""
From: Sipho <sipho@example.co.za>
To: +27821234567@sms.example.com
Subject: Done
Date: Fri, 8 Mar 2024 16:00:00 +0200
Message-ID: <4F1A2B3C-K9@example.co.za>
User-Agent: K-9 Mail for Android""")
    write("android_k9_signature", h,
          part("Pump repaired, pressure back to 3 bar.\n-- \nSent from my Android device with K-9 Mail. Please excuse my brevity.\n"),
          "Pump repaired, pressure back to 3 bar.")


def mutt():
    h = """
Date: Mon, 4 Mar 2024 22:10:05 +0100
From: Dieter Example <dieter@example.net>
To: +491701234567@sms.example.com
Subject: Re: backup
Message-ID: <ZeY2bQ3xYz1AbCdE@host.example.net>
References: <backup-1@example.net>
MIME-Version: 1.0
Content-Disposition: inline
In-Reply-To: <backup-1@example.net>
User-Agent: Mutt/2.2.12 (2023-09-09)"""
    write("mutt_reply_attribution", h,
          part("* Anna <anna@example.net> [2024-03-04 21:00]:\n> did the backup run?\n\nYes, finished at 21:47, 412 GB.\n\n"
               "> and the restore test?\n\nTomorrow.\n\n-- \nDieter\n",
               charset="us-ascii"),
          "Yes, finished at 21:47, 412 GB.\n\nTomorrow.")
    write("mutt_signature_latin1", h.replace("Re: backup", "Daten").replace("ZeY2bQ3x", "ZeY2bQ4x"),
          part("Die Datenbank ist wieder erreichbar, Grüße.\n\n-- \nDieter Example · Systembetreuung\n",
               charset="iso-8859-1", cte="8bit"),
          "Die Datenbank ist wieder erreichbar, Grüße.")
    signed = multipart("signed", "Sig_/abcDEF123", [
        part("Key rotated; new fingerprint ends in 9F3A.\n", charset="us-ascii"),
        b"Content-Type: application/pgp-signature; name=\"signature.asc\"\r\nContent-Description: PGP signature\r\n\r\n"
        b"-----BEGIN PGP SIGNATURE-----\r\n\r\niQEzBAEBCAAdFiEE\r\n-----END PGP SIGNATURE-----\r\n"],
        params=" micalg=pgp-sha256; protocol=\"application/pgp-signature\";")
    write("mutt_pgp_signed", h.replace("Re: backup", "key").replace("ZeY2bQ3x", "ZeY2bQ5x").replace(
        "Content-Disposition: inline\n", ""), signed, "Key rotated; new fingerprint ends in 9F3A.")


def cron():
    write("cron_mailx_output", """
From: root@backup1.example.com (Cron Daemon)
To: +27821234567@sms.example.com
Subject: Cron <root@backup1> /usr/local/sbin/nightly-backup
Content-Type: text/plain; charset=UTF-8
Auto-Submitted: auto-generated
Precedence: bulk
X-Cron-Env: <SHELL=/bin/sh>
X-Cron-Env: <HOME=/root>
X-Cron-Env: <PATH=/usr/bin:/bin>
X-Cron-Env: <LOGNAME=root>
Message-Id: <20240304020001.5A1B2C3D4E@backup1.example.com>
Date: Mon,  4 Mar 2024 02:00:01 +0000 (UTC)""",
          b"\r\n" + crlf("rsync: [sender] link_stat \"/srv/data\" failed: No such file or directory (2)\n"
                         "rsync error: some files/attrs were not transferred (code 23) at main.c(1338)\n").encode(),
          "rsync: [sender] link_stat \"/srv/data\" failed: No such file or directory (2)\n"
          "rsync error: some files/attrs were not transferred (code 23) at main.c(1338)")
    write("mailx_undeclared_8bit", """
Date: Tue, 05 Mar 2024 06:00:00 +0100
To: +491701234567@sms.example.com
Subject: disk check
User-Agent: mail (GNU Mailutils 3.15)
Message-Id: <20240305050000.1234@nas.example.de>
From: root <root@nas.example.de>""",
          b"\r\n" + crlf("Plattenplatz /srv: 93 % belegt (Warnschwelle 90 %)\n").encode(),
          "Plattenplatz /srv: 93 % belegt (Warnschwelle 90 %)")


def nagios():
    write("nagios_service_critical", """
Subject: ** PROBLEM Service Alert: web1/HTTP is CRITICAL **
To: +27821234567@sms.example.com
User-Agent: mail (GNU Mailutils 3.15)
Date: Mon,  4 Mar 2024 03:12:44 +0000
Message-Id: <20240304031244.7C1B2D3E4F@nagios.example.com>
From: nagios <nagios@nagios.example.com>""",
          b"\r\n" + crlf("***** Nagios *****\n\nNotification Type: PROBLEM\n\nService: HTTP\nHost: web1\n"
                         "Address: 192.0.2.10\nState: CRITICAL\n\nDate/Time: Mon Mar 4 03:12:44 UTC 2024\n\n"
                         "Additional Info:\n\nconnect to address 192.0.2.10 and port 80: Connection refused\n").encode(),
          "***** Nagios *****\n\nNotification Type: PROBLEM\n\nService: HTTP\nHost: web1\nAddress: 192.0.2.10\n"
          "State: CRITICAL\n\nDate/Time: Mon Mar 4 03:12:44 UTC 2024\n\nAdditional Info:\n\n"
          "connect to address 192.0.2.10 and port 80: Connection refused")
    write("nagios_host_subject_and_body", """
Subject: ** RECOVERY Host Alert: db1 is UP **
To: +27821234567@sms.example.com
Date: Mon,  4 Mar 2024 03:20:00 +0000
Message-Id: <20240304032000.8C1B2D3E4F@nagios.example.com>
From: nagios <nagios@nagios.example.com>""",
          b"\r\n" + crlf("Info: PING OK - Packet loss = 0%, RTA = 0.41 ms\n").encode(),
          "** RECOVERY Host Alert: db1 is UP **\nInfo: PING OK - Packet loss = 0%, RTA = 0.41 ms",
          options="subject: subject-and-body")


def zabbix():
    h = mime("""
From: Zabbix <zabbix@monitor.example.com>
To: +27821234567@sms.example.com
Date: Tue, 05 Mar 2024 04:00:00 +0200
Subject: =?UTF-8?B?UHJvYmxlbTogSGlnaCBDUFUgdXRpbGl6YXRpb24gKG92ZXIgOTAlIGZvciA1bSk=?=
Message-ID: <20240305020000.12345@monitor.example.com>
Auto-Submitted: auto-generated""")
    write("zabbix_problem_base64", h,
          part("Problem started at 04:00:00 on 2024.03.05\nProblem name: High CPU utilization (over 90% for 5m)\n"
               "Host: app-server-01\nSeverity: Warning\nOperational data: Current utilization: 97.3 %\n"
               "Original problem ID: 884211\n", cte="base64"),
          "Problem started at 04:00:00 on 2024.03.05\nProblem name: High CPU utilization (over 90% for 5m)\n"
          "Host: app-server-01\nSeverity: Warning\nOperational data: Current utilization: 97.3 %\n"
          "Original problem ID: 884211")
    h = mime("""
From: Zabbix <zabbix@monitor.example.com>
To: +27821234567@sms.example.com
Date: Tue, 05 Mar 2024 04:10:00 +0200
Subject: =?UTF-8?B?UmVzb2x2ZWQgaW4gMTBtIDBzOiBIaWdoIENQVSB1dGlsaXphdGlvbg==?=
Message-ID: <20240305021000.12346@monitor.example.com>""")
    write("zabbix_html_resolved", h,
          part("<b>Problem has been resolved at 04:10:00 on 2024.03.05</b><br>Problem name: High CPU utilization<br>"
               "Problem duration: 10m 0s<br>Host: app-server-01<br>Severity: Warning<br>"
               "Original problem ID: 884211<br>", cte="base64", subtype="html"),
          "Problem has been resolved at 04:10:00 on 2024.03.05\nProblem name: High CPU utilization\n"
          "Problem duration: 10m 0s\nHost: app-server-01\nSeverity: Warning\nOriginal problem ID: 884211")
    write("zabbix_subject_policy", h.replace("04:10:00 +0200", "04:20:00 +0200").replace("12346", "12347"),
          part("Problem has been resolved at 04:10:00 on 2024.03.05\nHost: app-server-01\n", cte="base64"),
          "Resolved in 10m 0s: High CPU utilization", options="subject: subject")


def alertmanager():
    h = mime("""
Date: Wed, 06 Mar 2024 05:00:00 +0000
From: Alertmanager <alertmanager@example.com>
Message-Id: <1709701200123456789.8817263540012345678@alertmanager-0>
Subject: [FIRING:1] DiskWillFillIn4Hours node-exporter (/dev/sda1 node1:9100 critical)
To: +27821234567@sms.example.com""")
    html = ("<!DOCTYPE html><html><head><meta name=\"viewport\" content=\"width=device-width\"><meta http-equiv="
            "\"Content-Type\" content=\"text/html; charset=UTF-8\"><title>[FIRING:1] DiskWillFillIn4Hours</title>"
            "<style>body{font-family:sans-serif}</style></head><body><table class=\"body-wrap\"><tr><td></td>"
            "<td class=\"container\" width=\"600\"><div class=\"content\"><table class=\"main\" width=\"100%\">"
            "<tr><td class=\"alert alert-warning\">1 alert for alertname=DiskWillFillIn4Hours</td></tr>"
            "<tr><td class=\"content-wrap\"><table width=\"100%\"><tr><td><a href=\"http://alertmanager:9093\" "
            "class=\"btn-primary\">View in Alertmanager</a></td></tr><tr><td><strong>[1] Firing</strong></td></tr>"
            "<tr><td>Labels<br />alertname = DiskWillFillIn4Hours<br />device = /dev/sda1<br />instance = node1:9100<br />"
            "severity = critical<br />Annotations<br />summary = Filesystem is predicted to run out of space within the next 4 hours.<br />"
            "<a href=\"http://prometheus:9090/graph?g0.expr=predict_linear\">Source</a><br /></td></tr></table></td></tr>"
            "</table><div class=\"footer\"><table width=\"100%\"><tr><td class=\"aligncenter content-block\">"
            "<a href=\"http://alertmanager:9093/#/alerts?receiver=sms\">Sent by Alertmanager</a></td></tr></table></div>"
            "</div></td><td></td></tr></table></body></html>")
    write("alertmanager_html_alternative", h, multipart("alternative", "8f9b2e5c0d1a3f7e", [
        part(html, cte="quoted-printable", subtype="html")]),
          "1 alert for alertname=DiskWillFillIn4Hours\nView in Alertmanager\n[1] Firing\nLabels\n"
          "alertname = DiskWillFillIn4Hours\ndevice = /dev/sda1\ninstance = node1:9100\nseverity = critical\n"
          "Annotations\nsummary = Filesystem is predicted to run out of space within the next 4 hours.\nSource\n"
          "Sent by Alertmanager")
    h = mime("""
Date: Wed, 06 Mar 2024 06:00:00 +0000
From: Alertmanager <alertmanager@example.com>
Message-Id: <1709704800123456789.1234567890123456789@alertmanager-0>
Subject: [RESOLVED] DiskWillFillIn4Hours node-exporter
To: +27821234567@sms.example.com""")
    write("alertmanager_text_template", h, multipart("alternative", "0a1b2c3d4e5f6789", [
        part("[RESOLVED] DiskWillFillIn4Hours\n  instance: node1:9100\n  summary: Filesystem is predicted to run out of space within the next 4 hours.\n",
             cte="quoted-printable"),
        part("<html><body><p>[RESOLVED] DiskWillFillIn4Hours</p></body></html>", cte="quoted-printable", subtype="html")]),
          "[RESOLVED] DiskWillFillIn4Hours\ninstance: node1:9100\n"
          "summary: Filesystem is predicted to run out of space within the next 4 hours.")


def grafana():
    h = mime("""
Date: Thu, 07 Mar 2024 13:00:00 +0000
From: Grafana <grafana@example.com>
Message-Id: <grafana-1709816400@example.com>
Subject: [FIRING:1]  (High latency api)
To: +27821234567@sms.example.com""")
    write("grafana_alternative", h, multipart("alternative", "b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6", [
        part("**Firing**\n\nValue: B=812.4\nLabels:\n - alertname = High latency\n - service = api\n"
             "Annotations:\n - summary = p95 latency above 500 ms\nSource: https://grafana.example.com/alerting/grafana/abc/view\n",
             cte="quoted-printable"),
        part("<!doctype html><html><body><table><tr><td><h1>Firing</h1></td></tr><tr><td>Value: B=812.4</td></tr></table></body></html>",
             cte="quoted-printable", subtype="html")]),
          "**Firing**\n\nValue: B=812.4\nLabels:\n- alertname = High latency\n- service = api\nAnnotations:\n"
          "- summary = p95 latency above 500 ms\nSource: https://grafana.example.com/alerting/grafana/abc/view")
    h = mime("""
Date: Thu, 07 Mar 2024 13:30:00 +0000
From: Grafana <grafana@example.com>
Message-Id: <grafana-1709818200@example.com>
Subject: [RESOLVED] High latency api
To: +27821234567@sms.example.com""")
    write("grafana_html_only", h,
          part("<!doctype html><html><head><style type=\"text/css\">.title{font-size:20px}</style>"
               "<script>var x = 1;</script></head><body><center><table class=\"main\"><tr><td class=\"title\">"
               "<h1>[RESOLVED] High latency</h1></td></tr><tr><td><p>Value: B=211.0</p><p>service=api</p>"
               "<a href=\"https://grafana.example.com/d/api\">Go to dashboard</a> <a href=\"https://grafana.example.com/silence\">Silence</a>"
               "</td></tr></table></center></body></html>", cte="base64", subtype="html"),
          "[RESOLVED] High latency\n\nValue: B=211.0\n\nservice=api\n\nGo to dashboard Silence")


def bounces():
    h = """
Return-Path: <>
Date: Fri, 08 Mar 2024 10:00:05 +0000 (UTC)
From: MAILER-DAEMON@mx.example.com (Mail Delivery System)
Subject: Undelivered Mail Returned to Sender
To: +27821234567@sms.example.com
Auto-Submitted: auto-replied
MIME-Version: 1.0
Message-Id: <20240308100005.4B7C1D2E3F@mx.example.com>"""
    notification = ("This is the mail system at host mx.example.com.\n\nI'm sorry to have to inform you that your message could not\n"
                    "be delivered to one or more recipients.\n\n                   The mail system\n\n"
                    "<bob@nowhere.example>: host mx.nowhere.example[198.51.100.7] said: 550 5.1.1\n"
                    "    <bob@nowhere.example>: Recipient address rejected: User unknown (in reply to RCPT TO command)\n")
    status = (b"Content-Description: Delivery report\r\nContent-Type: message/delivery-status\r\n\r\n"
              b"Reporting-MTA: dns; mx.example.com\r\nArrival-Date: Fri,  8 Mar 2024 10:00:01 +0000 (UTC)\r\n\r\n"
              b"Final-Recipient: rfc822; bob@nowhere.example\r\nAction: failed\r\nStatus: 5.1.1\r\n")
    original = (b"Content-Description: Undelivered Message\r\nContent-Type: message/rfc822\r\n\r\n"
                b"From: ann@example.com\r\nTo: bob@nowhere.example\r\nSubject: hello\r\n\r\nhello bob\r\n")
    write("postfix_bounce", h, multipart("report", "4B7C1D2E3F.1709892005/mx.example.com", [
        b"Content-Description: Notification\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n" + crlf(notification).encode(),
        status, original], params=" report-type=delivery-status;", preamble="This is a MIME-encapsulated message.\r\n\r\n"),
          "This is the mail system at host mx.example.com.\n\nI'm sorry to have to inform you that your message could not\n"
          "be delivered to one or more recipients.\n\nThe mail system\n\n"
          "<bob@nowhere.example>: host mx.nowhere.example[198.51.100.7] said: 550 5.1.1\n"
          "<bob@nowhere.example>: Recipient address rejected: User unknown (in reply to RCPT TO command)")
    delay = ("This is the mail system at host mx.example.com.\n\n####################################################################\n"
             "# THIS IS A WARNING ONLY.  YOU DO NOT NEED TO RESEND YOUR MESSAGE. #\n"
             "####################################################################\n\nYour message could not be delivered for 4.0 hours.\n"
             "It will be retried until it is 5.0 days old.\n")
    write("postfix_delay_warning", h.replace("Undelivered Mail Returned to Sender", "Delayed Mail (still being retried)").replace(
        "4B7C1D2E3F@", "5C8D2E3F4A@"), multipart("report", "5C8D2E3F4A.1709906405/mx.example.com", [
        b"Content-Description: Notification\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n" + crlf(delay).encode(),
        status.replace(b"failed", b"delayed").replace(b"5.1.1", b"4.4.1")], params=" report-type=delivery-status;"),
          "This is the mail system at host mx.example.com.\n\n####################################################################\n"
          "# THIS IS A WARNING ONLY. YOU DO NOT NEED TO RESEND YOUR MESSAGE. #\n"
          "####################################################################\n\nYour message could not be delivered for 4.0 hours.\n"
          "It will be retried until it is 5.0 days old.")


def charsets():
    def simple(name, charset, cte, text, subject, lang_from, expected=None):
        h = mime("""
From: %s
To: +81901234567@sms.example.com
Subject: %s
Date: Mon, 4 Mar 2024 09:00:00 +0900
Message-ID: <%s@example.net>""" % (lang_from, subject, name))
        write(name, h, part(text, charset=charset, cte=cte), expected if expected is not None else text.strip("\n"))

    simple("shift_jis_8bit", "shift_jis", "8bit", "明日の会議は10時からです。\n資料を持ってきてください。\n",
           word("会議", "shift_jis"), "Tanaka <tanaka@example.jp>")
    simple("iso2022jp_7bit", "iso-2022-jp", "7bit", "サーバーが停止しました。\n至急確認してください。\n",
           word("障害発生", "iso-2022-jp"), word("佐藤", "iso-2022-jp") + " <sato@example.jp>")
    simple("gb2312_base64", "gb2312", "base64", "服务器已恢复正常，请检查日志。\n",
           word("服务器", "gb2312"), "Wang <wang@example.cn>")
    simple("gbk_quoted_printable", "gbk", "quoted-printable", "镕基路数据中心：温度过高（35℃）。\n",
           word("告警", "gbk"), "NOC <noc@example.cn>")
    simple("big5_base64", "big5", "base64", "今晚七點在台北車站見面。\n",
           word("見面", "big5"), "Lin <lin@example.tw>")
    simple("windows1252_qp_smart_quotes", "windows-1252", "quoted-printable",
           "Don’t forget: “Quarterly review” – Friday… bring €50.\n",
           word("Reminder", "windows-1252", "Q"), "Pat <pat@example.com>")
    simple("iso8859_15_euro_8bit", "iso-8859-15", "8bit", "Le café coûte 2 € ; l’œuvre est finie.\n".replace("’", "'"),
           word("Café", "iso-8859-15", "Q"), "Luc <luc@example.fr>")
    simple("iso8859_1_qp_spanish", "iso-8859-1", "quoted-printable", "¿Mañana a las 9? Sí, en la oficina.\n",
           word("Reunión", "iso-8859-1", "Q"), "Ana <ana@example.es>")
    simple("windows1251_8bit", "windows-1251", "8bit", "Котельная: давление 2,1 бар. Норма.\n",
           word("Котельная", "windows-1251"), "SCADA <scada@example.ru>")
    simple("koi8r_base64", "koi8-r", "base64", "Отключение электричества завтра с 10:00 до 14:00.\n",
           word("Отключение", "koi8-r"), "ЖЭК <jek@example.ru>")
    simple("utf8_greek_qp", "utf-8", "quoted-printable", "Καλημέρα! Η συνάντηση είναι στις 10:00.\n",
           word("Συνάντηση"), "Nikos <nikos@example.gr>")
    simple("utf8_arabic_base64", "utf-8", "base64", "الاجتماع غداً الساعة العاشرة.\n",
           word("اجتماع"), "Omar <omar@example.ae>")


def malformed():
    h = mime("""
From: Ann Example <ann@example.org>
To: +27821234567@sms.example.com
Subject: Cut off
Date: Mon, 4 Mar 2024 10:00:00 +0100
Message-ID: <cut-1@example.org>""")
    write("malformed_no_closing_boundary", h, multipart("mixed", "------------cut0123", [
        part("The closing boundary of this mail never comes.\n")], close=False),
          "The closing boundary of this mail never comes.")
    raw = b64("Die Übertragung brach mitten im Satz ab, ein Zeichen wurde halbiert: Ü".encode())
    raw = raw.rstrip(b"\r\n")[:-3]
    write("malformed_truncated_base64", h.replace("cut-1", "cut-2"),
          b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n" + raw,
          "Die Übertragung brach mitten im Satz ab, ein Zeichen wurde halbiert:")
    write("malformed_html_label_on_plain_text", h.replace("cut-1", "cut-3"),
          part("Line one\nLine two\n", subtype="html"), "Line one Line two")
    write("malformed_octet_stream_body_subject_sent", h.replace("cut-1", "cut-4"),
          b"Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n" + b64(b"\x00\x01\x02"),
          "Cut off")
    write("malformed_unknown_charset_label", h.replace("cut-1", "cut-5"),
          b"Content-Type: text/plain; charset=\"x-user-defined-42\"\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
          + "Caf\u00e9 au lait \u2013 2\u20ac\r\n".encode("cp1252"), "Café au lait – 2€")
    write("malformed_utf8_labelled_latin1_bytes", h.replace("cut-1", "cut-6"),
          b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
          + "Gr\u00fc\u00dfe aus M\u00fcnchen\r\n".encode("latin-1"), "Grüße aus München")


def structure():
    h = mime("""
From: "Smith, Peter" <peter.smith@corp.example.com>
To: <+27821234567@sms.example.com>
Subject: FW: Generator test
Date: Tue, 5 Mar 2024 10:00:00 +0000
Message-ID: <AM0PR01MB9999@AM0PR01MB9999.eurprd01.prod.exchangelabs.com>""")
    inner = (b"Content-Type: message/rfc822\r\nContent-Disposition: inline\r\n\r\n"
             b"From: Facilities <facilities@corp.example.com>\r\nSubject: Generator test\r\n"
             b"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n"
             b"The generator will be tested at 06:00; lights may flicker.\r\n")
    write("outlook_forward_as_attachment", h, multipart("mixed", "_004_AM0PR01MB9999_", [
        part("\n", charset="us-ascii"), inner]),
          "The generator will be tested at 06:00; lights may flicker.")
    h = mime("""
From: Helpdesk <helpdesk@tickets.example.com>
To: +27821234567@sms.example.com
Subject: [#4711] Printer offline
Date: Wed, 6 Mar 2024 11:00:00 +0000
Message-ID: <ticket-4711-3@tickets.example.com>""")
    write("ticket_end_marker", h,
          part("Printer on floor 3 is offline, technician on the way.\n##\nTicket: #4711\nQueue: Hardware\n"
               "Reply above this line to update the ticket.\n"),
          "Printer on floor 3 is offline, technician on the way.", options="end_marker: ##")
    h = mime("""
From: Ann Example <ann@example.org>
To: +27821234567@sms.example.com
Subject: Photos
Date: Thu, 7 Mar 2024 12:00:00 +0000
Message-ID: <rfc2231-1@example.org>""")
    write("rfc2231_attachment_names", h, multipart("mixed", "b2231", [
        part("Photos from Saturday attached.\n", charset="us-ascii"),
        b"Content-Type: text/plain; name*=utf-8''notes%20%C3%A9t%C3%A9.txt\r\nContent-Disposition: inline;\r\n"
        b" filename*0*=utf-8''notes%20;\r\n filename*1*=%C3%A9t%C3%A9.txt\r\n\r\nnot this text\r\n",
        b"Content-Type: image/jpeg\r\nContent-Transfer-Encoding: base64\r\n\r\n/9j/4AAQSkZJRg==\r\n"]),
          "Photos from Saturday attached.")
    h = mime("""
From: Shop <news@shop.example.com>
To: +27821234567@sms.example.com
Subject: Your order has shipped
Date: Fri, 8 Mar 2024 08:00:00 +0000
Message-ID: <order-9911@shop.example.com>""")
    write("html_entities_links_lists", h,
          part("<html><body><p>Hi&nbsp;Ann,</p><p>Order&nbsp;#9911 has shipped &amp; will arrive <b>Monday</b>.</p>"
               "<ul><li>1 &times; Kettle &ndash; R&nbsp;499</li><li>2 &times; Mug</li></ul>"
               "<p>Track it <a href=\"https://shop.example.com/t/9911\">here</a>.</p>"
               "<p style=\"display:none\">&zwnj;</p></body></html>", subtype="html", cte="quoted-printable"),
          "Hi Ann,\n\nOrder #9911 has shipped & will arrive Monday.\n\n1 × Kettle – R 499\n2 × Mug\n\nTrack it here.")


if __name__ == "__main__":
    thunderbird()
    outlook()
    apple()
    gmail()
    phones()
    mutt()
    cron()
    nagios()
    zabbix()
    alertmanager()
    grafana()
    bounces()
    charsets()
    malformed()
    structure()
