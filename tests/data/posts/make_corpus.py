#!/usr/bin/env python3
# The synthetic post corpus of the extractor tests, written by hand
# for the tests: every number, handle, domain and address is made up. Run it
# to regenerate corpus.tsv. KC/EA/FA/FW write digits as keycaps, Eastern
# Arabic, Persian and full-width digits (the evasions under test).
# (id, lang, region, expected list, text)
P = []
def add(id, lang, region, expected, text):
    P.append((id, lang, region or "-", " | ".join(expected) if expected else "-", text))

KC = lambda s: "".join(c + "\ufe0f\u20e3" for c in s)   # keycap digits
EA = lambda s: s.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))   # Eastern Arabic
FA = lambda s: s.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))   # Persian
FW = lambda s: s.translate(str.maketrans("0123456789+", "０１２３４５６７８９＋"))  # full-width

# Payment identifiers (wallets, IBANs, IMEIs): made up, with the checksums
# their formats define computed here, so that a post can also carry a
# near miss (one character off) that the extractor must refuse.
import hashlib
_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
def b58check(payload):   # base58check: payload + 4 bytes of double SHA-256
    d = payload + hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4]
    n = int.from_bytes(d, "big"); out = ""
    while n:
        n, r = divmod(n, 58); out = _B58[r] + out
    return "1" * (len(d) - len(d.lstrip(b"\0"))) + out
_BECH = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
def _polymod(v):   # BIP-173
    c = 1
    for x in v:
        b = c >> 25; c = (c & 0x1ffffff) << 5 ^ x
        for i, g in enumerate([0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3]):
            c ^= g if (b >> i) & 1 else 0
    return c
def _bits(data):   # 8-bit -> 5-bit groups
    acc = bits = 0; out = []
    for v in data:
        acc = (acc << 8) | v; bits += 8
        while bits >= 5:
            bits -= 5; out.append((acc >> bits) & 31)
    if bits: out.append((acc << (5 - bits)) & 31)
    return out
def segwit(version, program):   # bech32 (v0) / bech32m (v1+, BIP-350), hrp "bc"
    data = [version] + _bits(program)
    hrp = [ord(c) >> 5 for c in "bc"] + [0] + [ord(c) & 31 for c in "bc"]
    pm = _polymod(hrp + data + [0] * 6) ^ (1 if version == 0 else 0x2bc830a3)
    return "bc1" + "".join(_BECH[x] for x in data + [(pm >> 5 * (5 - i)) & 31 for i in range(6)])
def iban(cc, bban):   # ISO 7064 mod 97-10 check digits
    n = int("".join(str(int(c, 36)) for c in bban + cc + "00"))
    return "%s%02d%s" % (cc, 98 - n % 97, bban)
def luhn(body):   # IMEI check digit
    s = sum((2 * int(d) - 9 * (2 * int(d) > 9)) if i % 2 == 0 else int(d)
            for i, d in enumerate(reversed(body)))
    return body + str((10 - s % 10) % 10)
_h = lambda label: hashlib.sha256(label.encode()).digest()
BTC1 = b58check(b"\x00" + _h("forms-a")[:20])
BTC3 = b58check(b"\x05" + _h("forms-b")[:20])
TRX = b58check(b"\x41" + _h("forms-c")[:20])
BC1Q = segwit(0, _h("forms-d")[:20])
BC1P = segwit(1, _h("forms-e"))
ETH = "0x" + _h("forms-f")[:20].hex()
IBAN_DE = iban("DE", "370400441234567890")
IBAN_TR = iban("TR", "0006100519786457841326")
IBAN_IQ = iban("IQ", "NBIQ850123456789012")
IMEI_A = luhn("35209900176148")
IMEI_B = luhn("86498403215973")
grp = lambda s, n=4: " ".join(s[i:i + n] for i in range(0, len(s), n))   # "DE14 3704 ..."

# ---------------- Arabic (ar) ----------------
add("ar01","ar","LY",["phone=+218913345621"],"رحلة إلى إيطاليا من زوارة، للتواصل " + EA("091 334 5621"))
add("ar02","ar","-",["phone=+218924471083"],"قارب مضمون، السعر ٢٥٠٠ يورو، واتساب " + EA("+218 92 447 1083"))
add("ar03","ar","-",["url=https://wa.me/218945520176","phone=+218945520176"],"للحجز اضغط هنا wa.me/218945520176 العدد محدود")
add("ar04","ar","-",["handle=telegram:rihla_amina"],"تابعونا على تيليجرام @rihla_amina لكل جديد")
add("ar05","ar","-",["handle=telegram:bahr_alaman"],"تلغرام: bahr_alaman")
add("ar06","ar","-",[],"الطقس اليوم جميل في طرابلس والبحر هادئ")
add("ar07","ar","TR",["phone=+905326142783"],"من تركيا إلى اليونان، اتصل " + KC("05326142783"))
add("ar08","ar","-",["phone=+201012845693"],"للاستفسار: +20 10 1284 5693 فقط رسائل")
add("ar09","ar","-",["url=https://t.me/s/Tariq_Almadmoun","handle=telegram:tariq_almadmoun"],"القناة الرسمية https://t.me/s/Tariq_Almadmoun")
add("ar10","ar","-",["email=safar.rahat@mail-demo-box.net"],"راسلونا على safar.rahat@mail-demo-box.net للتفاصيل")
add("ar11","ar","-",[],"مبروك للعروسين، الله يتمم بخير")
add("ar12","ar","-",["phone=+963944218573"],"الرقم: " + EA("+963 944 218 573") + " بدون بصمة")
add("ar13","ar","-",["handle=instagram:rihlat.albahr"],"انستغرام: @rihlat.albahr")
add("ar14","ar","LY",["phone=+218924471083"],"اتصل على " + EA("0 9 2 4 4 7 1 0 8 3"))
add("ar15","ar","-",["phone=+249912384756","handle=snapchat:safar_sd"],"سناب: @safar_sd او واتساب +249\u200b912\u200b384\u200b756")
add("ar16","ar","-",[],"الأسعار ارتفعت ٣٠٠٠ دولار هذا الشهر حسب الأخبار")
add("ar17","ar","-",["url=https://safar-almotawasset-demo.com/hajz"],"الحجز عبر الموقع safar-almotawasset-demo.com/hajz.")
add("ar18","ar","-",["phone=+218913345621"],"واتساب" + EA("+218913345621"))

# ---------------- Arabizi ----------------
add("az01","arabizi","-",[],"ya 7abibi 3arab kolhom hena, 2ool le5wanak")
add("az02","arabizi","-",[],"enta 3amel eh? ana mesh 3aref 2ool eh")
add("az03","arabizi","-",[],"el re7la 3ala el ba7r kanet 7elwa awi")
add("az04","arabizi","-",[],"3ala fekra 2ool lel 7ag 2en el 2arib gahez")
add("az05","arabizi","-",[],"wallah 3omri ma shoft ba7r zay da, 5alas")
add("az06","arabizi","-",[],"2ool 3ool 7ool 2ool 3arab 7abibi 5amsa")
add("az07","arabizi","-",[],"ma3a salama ya 3am, ne2ablak bokra")
add("az08","arabizi","-",[],"sa7bi 2al el markeb 3ayez 3 2ayam")
add("az09","arabizi","-",[],"3l2 2l3 7b 3b 2o 3o")
add("az10","arabizi","-",["phone=+218913345621"],"re7la l italya madmoun, kalimni 3al +218 91 334 5621 ya 7abibi")
add("az11","arabizi","LY",["phone=+218924471083"],"ta7rib 2arib lebya->italya, rakam: 092 447 1083, 3arab bas")
add("az12","arabizi","-",["url=https://wa.me/218945520176","phone=+218945520176"],"2ool lel gama3a: wa.me/218945520176 w 5alas")
add("az13","arabizi","-",["handle=telegram:re7la_madmouna"],"telegram: @re7la_madmouna 3ala tool")
add("az14","arabizi","TR",["phone=+905417738204"],"turkya->yunan, 3ayez tefasil? " + KC("05417738204"))
add("az15","arabizi","-",["handle=instagram:ba7r_trips"],"insta: @ba7r_trips 7ot like")
add("az16","arabizi","-",[],"el si3r 2500 euro bas el 7ag 3ayez aktar")
add("az17","arabizi","-",["phone=+201012845693"],"wtsp +20 1O1 284 5693 ba3d el 3asr")
add("az18","arabizi","-",[],"3aiz 2a2ollak 7aga: 7abibi 3arab w 2ool")
# ---------------- Dari (prs) ----------------
add("prs01","prs","AF",["phone=+93701234568"],"سفر به ترکیه با ضمانت، شماره: " + FA("0701 234 568"))
add("prs02","prs","-",["handle=telegram:safar_kabul"],"تلگرام: @safar_kabul")
add("prs03","prs","-",["phone=+989121845937"],"مسافر ایران به ترکیه، واتساپ " + FA("+98 912 184 5937"))
add("prs04","prs","-",[],"امروز هوا در کابل سرد است و برف می‌بارد")
add("prs05","prs","TR",["phone=+905054419627"],"رسیدن تضمینی به یونان " + KC("05054419627"))
add("prs06","prs","-",["url=https://wa.me/93772845019","phone=+93772845019"],"برای معلومات: wa.me/93772845019")
add("prs07","prs","-",["handle=instagram:safar.europa"],"اینستاگرام: @safar.europa")
add("prs08","prs","AF",["phone=+93772845019"],"شماره " + FA("0 7 7 2 8 4 5 0 1 9") + " فقط پیام")
add("prs09","prs","-",[],"قیمت ۳۰۰۰ یورو بود ولی حالا بیشتر شده")
add("prs10","prs","-",["phone=+381641827354"],"در صربستان تماس بگیرید " + FA("+381 64 182 7354"))
add("prs11","prs","-",["handle=telegram:kabul_istanbul"],"تلگرام @kabul_istanbul پاسپورت و ویزه")
add("prs12","prs","-",[],"تبریک عید به همه دوستان")
add("prs13","prs","-",["email=dari.safar@mail-demo-box.net"],"ایمیل: dari.safar@mail-demo-box.net")
add("prs14","prs","-",["phone=+359887241563"],"بلغاریا، شماره " + FW("+359 887 241 563"))
add("prs15","prs","-",["url=https://t.me/kabul_yunan_rah","handle=telegram:kabul_yunan_rah"],"کانال ما t.me/kabul_yunan_rah")
add("prs16","prs","-",[],"کسی از وان خبر دارد؟")
add("prs17","prs","AF",["phone=+93701234568","handle=snapchat:kabulsafar"],"اسنپ چت: @kabulsafar یا " + FA("0701\u200c234\u200c568"))

# ---------------- Pashto (ps) ----------------
add("ps01","ps","AF",["phone=+93772845019"],"اروپا ته سفر، شمېره " + FA("0772 845 019"))
add("ps02","ps","-",["handle=telegram:pashto_safar"],"ټیلیګرام: @pashto_safar")
add("ps03","ps","-",[],"نن ورځ په ننګرهار کې باران دی")
add("ps04","ps","-",["phone=+989121845937"],"ایران ته لاره، واټساپ " + FA("+98 912 184 5937"))
add("ps05","ps","TR",["phone=+905326142783"],"ترکیې ته تضمین " + KC("05326142783"))
add("ps06","ps","-",["url=https://wa.me/93701234568","phone=+93701234568"],"اړیکه: https://wa.me/93701234568")
add("ps07","ps","-",[],"د اختر مبارکي ټولو ته")
add("ps08","ps","AF",["phone=+93701234568"],"شمېره " + FA("0 7 0 1 2 3 4 5 6 8"))
add("ps09","ps","-",["handle=instagram:pakhtun.safar"],"انسټاګرام: @pakhtun.safar")
add("ps10","ps","-",[],"بیه ۲۵۰۰ یورو ده خو ګارنټي نشته")
add("ps11","ps","-",["phone=+436641829375"],"په اتریش کې: " + FA("+43 664 182 9375"))
add("ps12","ps","-",["email=pashto.lar@mail-demo-box.net"],"برېښنالیک pashto.lar@mail-demo-box.net")
add("ps13","ps","-",["url=https://t.me/s/Jalalabad_Lar","handle=telegram:jalalabad_lar"],"چینل: t.me/s/Jalalabad_Lar")
add("ps14","ps","-",[],"سبا به ښوونځی بند وي")
add("ps15","ps","-",["phone=+4915734102956"],"جرمني کې اړیکه " + FW("+49 157 3410 2956"))
add("ps16","ps","-",["handle=telegram:lar_europa"],"تلگرام: lar_europa")
add("ps17","ps","AF",["phone=+93772845019"],"واټساپ" + FA("0772845019"))

# ---------------- Tigrinya (ti) ----------------
add("ti01","ti","ER",["phone=+2917123456"],"ጉዕዞ ናብ ሊብያ፡ ስልኪ 07 123 456")
add("ti02","ti","-",["handle=telegram:guezo_libya"],"ቴሌግራም: @guezo_libya")
add("ti03","ti","-",["phone=+249912384756"],"ካብ ሱዳን ካርቱም ደውሉ +249 91 238 4756")
add("ti04","ti","-",[],"ሎሚ ኣብ ኣስመራ ጽቡቕ መዓልቲ እዩ")
add("ti05","ti","-",["phone=+218913345621"],"ሊብያ ናብ ኢጣልያ ጀልባ " + KC("+218913345621").replace("+\ufe0f\u20e3","+"))
add("ti06","ti","-",["url=https://wa.me/2917284610","phone=+2917284610"],"wa.me/2917284610 ጥራይ መልእኽቲ")
add("ti07","ti","-",[],"እንቋዕ ኣብጽሓኩም ንበዓል")
add("ti08","ti","ER",["phone=+2917284610"],"ስልኪ 0 7 2 8 4 6 1 0")
add("ti09","ti","-",["handle=instagram:guezo.europa"],"ኢንስታግራም: @guezo.europa")
add("ti10","ti","-",[],"ዋጋ 3000 ዶላር ነይሩ")
add("ti11","ti","-",["phone=+393471592846"],"ኣብ ጣልያን ደውሉ +39 347 159 2846")
add("ti12","ti","-",["email=tigrinya.guezo@mail-demo-box.net"],"ኢመይል tigrinya.guezo@mail-demo-box.net")
add("ti13","ti","-",["url=https://t.me/s/Sahel_Guezo","handle=telegram:sahel_guezo"],"ቻነል https://t.me/s/Sahel_Guezo")
add("ti14","ti","-",[],"ትምህርቲ ጽባሕ ይጅምር")
add("ti15","ti","-",["phone=+249912384756"],"ቁጽሪ +249.912.384.756 ጥራይ")
add("ti16","ti","-",["handle=tiktok:sahel_guezo"],"ቲክቶክ: @sahel_guezo")
add("ti17","ti","ER",["phone=+2917123456"],"ዋትሳፕ: " + FW("07 123 456"))
# ---------------- Kurdish (ku) ----------------
add("ku01","ku","IQ",["phone=+9647501839264"],"Rêwîtî bo Ewropa, têlefon: 0750 183 9264")
add("ku02","ku","-",["handle=telegram:rewiti_ewropa"],"تێلێگرام: @rewiti_ewropa")
add("ku03","ku","-",["phone=+9647714620938"],"پەیوەندی بکە " + EA("+964 771 462 0938"))
add("ku04","ku","-",[],"Îro hewa li Hewlêrê germ e")
add("ku05","ku","TR",["phone=+905417738204"],"Tirkiye ber bi Yewnanistan " + KC("05417738204"))
add("ku06","ku","-",["url=https://wa.me/9647501839264","phone=+9647501839264"],"WhatsApp: https://wa.me/9647501839264")
add("ku07","ku","-",[],"جەژنتان پیرۆز بێت")
add("ku08","ku","IQ",["phone=+9647714620938"],"ژمارە " + FA("0771 462 0938"))
add("ku09","ku","-",["handle=instagram:kurd.rewiti"],"ئینستاگرام: @kurd.rewiti")
add("ku10","ku","-",[],"Biha 2500 euro ye, bê garantî")
add("ku11","ku","-",["phone=+4917658214390"],"Li Almanya: +49 176 5821 4390")
add("ku12","ku","-",["email=kurd.rewiti@mail-demo-box.net"],"Email: kurd.rewiti@mail-demo-box.net")
add("ku13","ku","-",["url=https://t.me/s/Rewiti_Kurd","handle=telegram:rewiti_kurd"],"Kanal: t.me/s/Rewiti_Kurd")
add("ku14","ku","-",[],"Sibê dibistan girtî ye")
add("ku15","ku","IQ",["phone=+9647501839264"],"Têlefon: 0 7 5 0 1 8 3 9 2 6 4")
add("ku16","ku","-",["handle=snapchat:kurdrewiti"],"snap: @kurdrewiti")
add("ku17","ku","-",["phone=+359887241563"],"Bulgaristan: " + FW("+359 887 241 563"))

# ---------------- Turkish (tr) ----------------
add("tr01","tr","TR",["phone=+905326142783"],"Yunanistan'a garantili geçiş, fiyat 2500 euro. Ara: 0532 614 27 83")
add("tr02","tr","TR",["phone=+905417738204"],"Bilgi için " + KC("05417738204") + " yazın")
add("tr03","tr","TR",["phone=+905054419627"],"Tel: 0505.441.96.27 sadece WhatsApp")
add("tr04","tr","-",[],"Bugün hava çok güzel, Ege'de deniz sakin")
add("tr05","tr","-",["handle=telegram:ege_gecis"],"Telegram: @ege_gecis")
add("tr06","tr","-",["url=https://wa.me/905054419627","phone=+905054419627"],"Hemen yaz: wa.me/905054419627")
add("tr07","tr","TR",["phone=+905326142783"],"numara: O532 6l4 27 83")
add("tr08","tr","-",[],"Maç 3-1 bitti, tebrikler")
add("tr09","tr","-",["handle=instagram:yol.rehberi"],"insta: @yol.rehberi")
add("tr10","tr","TR",["phone=+905417738204"],"0 5 4 1 7 7 3 8 2 0 4 arayın")
add("tr11","tr","-",["email=gecis.bilgi@mail-demo-box.net"],"E-posta: gecis.bilgi@mail-demo-box.net")
add("tr12","tr","-",["url=https://t.me/s/Ege_Gecis_Kanal","handle=telegram:ege_gecis_kanal"],"Kanal: https://t.me/s/Ege_Gecis_Kanal")
add("tr13","tr","-",[],"Yarın saat 14:30'da toplantı var")
add("tr14","tr","TR",["phone=+905326142783"],"whatsapp05326142783")
add("tr15","tr","-",["handle=snapchat:egegecis"],"snap: @egegecis")
add("tr16","tr","TR",["phone=+905054419627"],"Ara " + FW("0505 441 96 27"))
add("tr17","tr","-",["url=https://gecis-rehberi-demo.net/fiyat"],"Detaylar: gecis-rehberi-demo.net/fiyat")
add("tr18","tr","TR",["phone=+905417738204"],"Ara 0541 773 82 04 2500 euro nakit")

# ---------------- French (fr) ----------------
add("fr01","fr","FR",["phone=+33641728395"],"Passage garanti vers l'Italie, 2500 euros. Appelez le 06 41 72 83 95")
add("fr02","fr","FR",["phone=+33758210463"],"Contact : 07.58.21.04.63")
add("fr03","fr","-",[],"Il fait beau aujourd'hui à Marseille")
add("fr04","fr","-",["handle=telegram:passage_calais"],"Télégram: @passage_calais")
add("fr05","fr","-",["url=https://wa.me/33641728395","phone=+33641728395"],"Écrivez-nous : wa.me/33641728395")
add("fr06","fr","FR",["phone=+33641728395"],"Tél " + KC("0641728395"))
add("fr07","fr","-",["email=contact.voyage@passage-sur-demo.fr"],"écrivez à contact.voyage@passage-sur-demo.fr.")
add("fr08","fr","-",[],"Rendez-vous à 18h30 devant la gare")
add("fr09","fr","FR",["phone=+33758210463"],"appelle O7 58 2l O4 63")
add("fr10","fr","-",["handle=instagram:traversee.sure"],"insta : @traversee.sure")
add("fr11","fr","-",["url=https://www.passage-sur-demo.fr/prix"],"Voir www.passage-sur-demo.fr/prix, places limitées")
add("fr12","fr","-",[],"Le match de ce soir est à 21h, score prévu 2-0")
add("fr13","fr","FR",["phone=+33641728395"],"0 6 4 1 7 2 8 3 9 5")
add("fr14","fr","-",["phone=+21698412753"],"Depuis la Tunisie : +216 98 412 753")
add("fr15","fr","-",["url=https://t.me/s/Manche_Passage","handle=telegram:manche_passage"],"Canal : t.me/s/Manche_Passage !")
add("fr16","fr","-",["handle=snapchat:passeurfr"],"snap: @passeurfr")
add("fr17","fr","FR",["phone=+33758210463"],"num " + FW("07 58 21 04 63"))

# ---------------- English (en) ----------------
add("en01","en","-",["phone=+447911284615"],"Guaranteed crossing to the UK, call +44 7911 284615")
add("en02","en","GB",["phone=+447911284615"],"Text 07911 284 615 for details")
add("en03","en","-",[],"Lovely weather in Brighton today")
add("en04","en","-",["handle=telegram:channel_cross"],"telegram: @channel_cross")
add("en05","en","-",["url=https://wa.me/306948215370?text=hi","phone=+306948215370"],"WhatsApp me: https://wa.me/306948215370?text=hi")
add("en06","en","-",["phone=+306948215370"],"Greece contact " + KC("+306948215370").replace("+\ufe0f\u20e3","+"))
add("en07","en","-",["email=cross.info@mail-demo-box.net"],"mail cross.info@mail-demo-box.net")
add("en08","en","-",[],"Meeting moved to 3:45 pm, room 12")
add("en09","en","-",["phone=+393289174620"],"Italy: +39 328 9l7 462O")
add("en10","en","-",["handle=instagram:safe.crossing"],"IG: @safe.crossing")
add("en11","en","-",["url=https://bit.ly/3xCrossNow"],"details at bit.ly/3xCrossNow")
add("en12","en","-",[],"Final score 2-1, what a game")
add("en13","en","-",["phone=+4917658214390","phone=+4915734102956"],"Germany +49 176 5821 4390 or +49 157 3410 2956")
add("en14","en","-",["url=https://t.me/s/Balkan_Route_Info","handle=telegram:balkan_route_info"],"channel https://t.me/s/Balkan_Route_Info")
add("en15","en","-",["handle=snapchat:crossnow"],"snap @crossnow")
add("en16","en","-",["phone=+306971238456"],"call +30\u200b697\u200b123\u200b8456")
add("en17","en","-",["phone=+4367682745913"],"Austria " + FW("+43 676 827 45913"))
add("en18","en","-",["phone=+447911284615"],"call +44 7911 284615 1500 per person")
add("en19","en","-",[],"prices 1500 2000 2500 per person, leaving 12 03 2026")
add("fr18","fr","-",["email=passage.sur@mail-demo-box.net"],"écrire à passage.sur [at] mail-demo-box [dot] net")
add("prs18","prs","-",["handle=telegram:kabul_safar2"],"تلگرام kabul_safar2 برای معلومات")
add("en21","en","-",["url=https://t.me/balkan_route_2","handle=telegram:balkan_route_2"],"join t(.)me/balkan_route_2")
add("en20","en","-",["phone=+447911284615"],"text me +44 ⑦⑨①① ②⑧④⑥①⑤")
add("ku18","ku","IQ",["phone=+9647714620938"],"Têlefon: ⁰⁷⁷¹ ⁴⁶² ⁰⁹³⁸")

# ---------------- Payment identifiers: wallets, IBANs, IMEIs ----------------
add("ar19","ar","-",["crypto=trx:"+TRX],"الدفع عبر USDT على TRC20: " + TRX + " فقط")
add("ar20","ar","-",["iban="+IBAN_IQ],"حوالة على الحساب " + EA(grp(IBAN_IQ)) + " والباقي عند الوصول")
add("ar21","ar","-",[],"السعر ٢٥٠٠ دولار، الموعد ١٢/٠٣/٢٠٢٦، رقم الطلب ١٠٠٠٤٥٨٧٢٢٣١")
add("tr19","tr","-",["iban="+IBAN_TR],"Ödeme: IBAN " + grp(IBAN_TR) + " (Ziraat), ücret 2500 TL")
add("tr20","tr","-",[],"BTC adresi " + BTC1[:-1] + ("b" if BTC1[-1] != "b" else "c") + " (eski)")
add("en22","en","-",["crypto=btc:"+BC1Q],"pay BTC to " + BC1Q + " only, no cash")
add("en23","en","-",["crypto=eth:"+ETH,"crypto=btc:"+BTC3],"ETH " + ETH + " or BTC " + BTC3)
add("en24","en","-",[],"order " + IMEI_A + " shipped, price 1500, IMEI unknown")
add("en25","en","-",[],"IBAN " + grp(IBAN_DE[:-1] + str((int(IBAN_DE[-1]) + 1) % 10)) + " (typo)")
add("fr19","fr","-",["crypto=btc:"+BTC1],"paiement en bitcoin : " + BTC1)
add("fr20","fr","-",["iban="+IBAN_DE],"virement IBAN " + grp(IBAN_DE) + ", prix 1500 €, départ le 12.03.2026")
add("prs19","prs","-",["imei="+IMEI_A],"شماره IMEI گوشی: " + FA(IMEI_A))
add("ku19","ku","-",["imei="+IMEI_B],"IMEI: " + EA(IMEI_B[:2] + " " + IMEI_B[2:8] + " " + IMEI_B[8:14] + " " + IMEI_B[14]))
add("ps18","ps","-",["crypto=btc:"+BC1P],"د پیسو لپاره " + BC1P)
add("ti18","ti","-",["crypto=trx:"+TRX],"ክፍሊት ብ USDT: " + TRX)
add("ti19","ti","-",[],"IMEI " + IMEI_B[:-1] + str((int(IMEI_B[-1]) + 1) % 10) + " ተሰሪቑ")
# Grouped in fours, in other digit scripts, glued to the label (split as a
# glued contact word is), and the near misses next to them: a check digit
# off by one, prices, dates, a Luhn-valid 15-digit order number.
IBAN_DE2 = iban("DE", "370400449876543210")
off = lambda s: s[:-1] + str((int(s[-1]) + 1) % 10)
add("en26","en","-",["iban="+IBAN_DE2],"send it to IBAN " + grp(IBAN_DE2) + " before friday")
add("en27","en","-",["iban="+IBAN_DE2],"transfer to IBAN" + IBAN_DE2 + " today")
add("en28","en","-",[],"price 1 250 000 EUR for the group, leaving 12.03.2026, order " + IMEI_A)
add("prs20","prs","-",["iban="+IBAN_DE2],"حساب بانکی IBAN " + FA(grp(IBAN_DE2)) + " به نام برادرم")
add("prs21","prs","-",[],"قیمت ۱ ۲۵۰ ۰۰۰ یورو، شماره سفارش " + FA(IMEI_B) + " فردا")
add("ar22","ar","-",["imei="+IMEI_A],"رقم IMEI للهاتف " + EA(IMEI_A[:2] + "-" + IMEI_A[2:8] + "-" + IMEI_A[8:14] + "-" + IMEI_A[14]))
add("ar23","ar","-",[],"IMEI " + EA(off(IMEI_A)) + " السعر ١ ٢٥٠ ٠٠٠ دينار")
add("tr21","tr","-",["imei="+IMEI_B],"telefon satılık, IMEI" + IMEI_B + " kayıtlı")
add("tr22","tr","-",[],"IBAN" + off(IBAN_TR) + " (yanlış), fiyat 1 250 000 TL")
add("fr21","fr","-",["imei="+IMEI_B],"IMEI du téléphone : " + IMEI_B[:2] + " " + IMEI_B[2:8] + " " + IMEI_B[8:14] + " " + IMEI_B[14])
add("fr22","fr","-",[],"commande n° " + IMEI_B + " expédiée le 12/03/2026, 1 250 000 €")
add("ku20","ku","-",["iban="+IBAN_TR],"ژمارەی حساب IBAN" + IBAN_TR[:4] + " " + EA(grp(IBAN_TR[4:])))
add("ps19","ps","-",[],"IMEI " + FA(off(IMEI_B)[:2] + " " + off(IMEI_B)[2:8] + " " + off(IMEI_B)[8:14] + " " + off(IMEI_B)[14]) + " بیه ۲۵۰۰")
add("ti20","ti","-",["iban="+IBAN_DE2],"ባንክ IBAN " + grp(IBAN_DE2) + " ክፍሊት")

if __name__ == "__main__":
    import os
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus.tsv")
    with open(out, "w") as f:
        f.write("# Synthetic posts written for the extractor tests. Every number,\n"
                "# handle, domain and address is made up; numbers are in valid ranges and not\n"
                "# on policy/normalize-warnings.yaml. Columns: id lang region expected text\n"
                "# (see node/extract/corpus_test.cc). lang: ar arabizi prs ps ti ku tr fr en.\n"
                "# Generated by make_corpus.py (the readable source: keycaps, digit scripts).\n")
        for p in P:
            assert "\t" not in p[4] and "\n" not in p[4]
            f.write("\t".join(p) + "\n")
    print(len(P), "posts ->", out)
