"""The lyrics prompt format, shared by training and generation.

A song is written as the original design wrote it for fine-tuning GPT-2:

    [Artist: Muse]
    [Song: Unintended]
    You could be my unintended choice
    ...
    <|endoflyrics|>

A fine-tuned model is prompted with the two tags and the opening line, and ends
a song with the end-of-lyrics token. A base model (the embedded defaults, or
plain `gpt2-medium`) has never seen this format, so its prompt starts with a
few example songs of the genre in the same format ("few-shot"); it learns from
them where a song ends, and we also stop it at the next song header.

The example lyrics below were written for this project: three songs per genre
(two for the generic set), 150-200 words each, laid out in sections with
headers ([Verse 1], [Chorus], ...), rhymed, the chorus repeated word for word
and opening with the title, so a model sees what a song looks like.
"""

from __future__ import annotations

END_OF_LYRICS = "<|endoflyrics|>"
ARTIST_TAG = "[Artist: "
SONG_TAG = "[Song: "
# Text that means the song is over: the end token, or a model starting the next song.
STOP_MARKERS = (END_OF_LYRICS, ARTIST_TAG.rstrip(), SONG_TAG.rstrip())


def song_header(artist: str, title: str) -> str:
    """The two tags that open every song, each on its own line."""
    return f"{ARTIST_TAG}{artist}]\n{SONG_TAG}{title}]\n"


def format_song(artist: str, title: str, lyrics: str) -> str:
    """A whole song as training text: header, lyrics, end token."""
    return f"{song_header(artist, title)}{lyrics.strip()}\n{END_OF_LYRICS}\n"


def lyrics_prompt(artist: str, title: str, opening_line: str, genre: str, few_shot: bool | int) -> str:
    """The text a model continues. The opening line starts the lyrics. `few_shot`: how many of
    the genre's example songs come first (True: all of them, False or 0: none)."""
    count = None if few_shot is True else 0 if few_shot is False else int(few_shot)
    prefix = few_shot_header(genre, count) if count != 0 else ""
    return prefix + song_header(artist, title) + opening_line


def genre_examples(genre: str) -> list[tuple[str, str, str]]:
    """The example songs of `genre` (a generic set for genres without their own)."""
    return FEW_SHOT_EXAMPLES.get(genre, FEW_SHOT_EXAMPLES["_default"])


def few_shot_header(genre: str, count: int | None = None) -> str:
    """The first `count` (None: all) example songs of `genre`, in the prompt format."""
    examples = genre_examples(genre)[:count]
    return "".join(format_song(artist, title, lyrics) + "\n" for artist, title, lyrics in examples)


def cut_at_stop_marker(text: str) -> tuple[str, bool]:
    """Return `text` up to the first stop marker, and whether one was found."""
    positions = [p for p in (text.find(m) for m in STOP_MARKERS) if p >= 0]
    if not positions:
        return text, False
    return text[: min(positions)], True


def held_back_length(text: str) -> int:
    """How many trailing characters could be the start of a stop marker.

    A stream must not show "[Art" before it knows whether "[Artist:" follows.
    """
    longest = 0
    for marker in STOP_MARKERS:
        for n in range(min(len(marker) - 1, len(text)), 0, -1):
            if text.endswith(marker[:n]):
                longest = max(longest, n)
                break
    return longest


# (artist, title, lyrics) per genre: original songs written for this project, 150-200 words each,
# in the section layout of config/songs.toml (headers, a chorus repeated word for word that opens
# with the title, rhymed couplets or alternate rhymes).
FEW_SHOT_EXAMPLES: dict[str, list[tuple[str, str, str]]] = {
    "rock": [
        (
            "The Rust Engines",
            "Highway Static",
            """[Verse 1]
Headlights cutting through the rain tonight
I left the city and its neon light
The radio keeps calling out my name
And every mile I drive I feel the flame

[Chorus]
Highway static singing in the wire
Every signal sets the dark on fire
Turn it up and let the engine roar
We don't live quiet anymore

[Verse 2]
The gas station glows like a dying star
I count my dollars in a borrowed car
My father said the road would eat me whole
But I still hear the thunder in my soul

[Chorus]
Highway static singing in the wire
Every signal sets the dark on fire
Turn it up and let the engine roar
We don't live quiet anymore

[Bridge]
Hold the wheel and never let it go
Ride until the morning starts to glow

[Chorus]
Highway static singing in the wire
Every signal sets the dark on fire
Turn it up and let the engine roar
We don't live quiet anymore""",
        ),
        (
            "Glass Harbour",
            "Iron Lungs",
            """[Verse 1]
I have been breathing smoke since I was young
With borrowed anthems rolling off my tongue
You built a wall and called the prison home
I broke it down to stand here on my own

[Chorus]
Iron lungs, I'm breathing in the storm
Every scar I carry keeps me warm
Scream it loud until the windows shake
Give me something that I cannot break

[Verse 2]
The factory whistle blows at half past five
The only sound that tells me I'm alive
They sold the river and they sold the sky
But they can never sell the reason why

[Chorus]
Iron lungs, I'm breathing in the storm
Every scar I carry keeps me warm
Scream it loud until the windows shake
Give me something that I cannot break

[Bridge]
Every chain was made to come undone
Every night gives way to morning sun

[Chorus]
Iron lungs, I'm breathing in the storm
Every scar I carry keeps me warm
Scream it loud until the windows shake
Give me something that I cannot break""",
        ),
        (
            "Saint Ember",
            "Burning Bridges",
            """[Verse 1]
We met beneath a broken traffic sign
You had a lighter and I had a line
The summer burned like gasoline and glass
We swore that nothing good would ever pass

[Chorus]
Burning bridges on the edge of town
Watch the smoke as all the walls come down
We were wild and we were young and free
Nothing left but ashes on the sea

[Verse 2]
Now every window shows a stranger's face
I drive the streets that never hold a place
The songs we sang are rusting in the rain
But I can hear them calling me again

[Chorus]
Burning bridges on the edge of town
Watch the smoke as all the walls come down
We were wild and we were young and free
Nothing left but ashes on the sea

[Bridge]
If the river ever takes me home
Tell them that I never walked alone

[Chorus]
Burning bridges on the edge of town
Watch the smoke as all the walls come down
We were wild and we were young and free
Nothing left but ashes on the sea""",
        ),
    ],
    "pop": [
        (
            "Lena Vale",
            "Paper Hearts",
            """[Verse 1]
We were dancing in the kitchen light
Your hand in mine and everything was right
Summer songs on a borrowed radio
I never wanted you to let me go

[Chorus]
Paper hearts are falling in the rain
I would fold them all for you again
Every color that you gave to me
Is the only place I want to be

[Verse 2]
Now the coffee's cold, the morning's grey
I keep the pictures that you threw away
I trace your name on every foggy glass
And watch it fade as all the seasons pass

[Chorus]
Paper hearts are falling in the rain
I would fold them all for you again
Every color that you gave to me
Is the only place I want to be

[Bridge]
Fold me up and hold me close tonight
Even paper hearts can hold the light

[Chorus]
Paper hearts are falling in the rain
I would fold them all for you again
Every color that you gave to me
Is the only place I want to be""",
        ),
        (
            "Marco Sun",
            "Golden Hour",
            """[Verse 1]
Wake me up when the sky turns gold
I got a story that has never been told
Call your friends, we're going out tonight
Everybody shining, everybody bright

[Chorus]
Golden hour, light me up again
Spin me round and never tell me when
Hands up high and shining like the sun
Every heart is beating into one

[Verse 2]
Neon sparkles on the boulevard
We don't care if we are falling hard
Take a picture, let the moment stay
Nobody is going home today

[Chorus]
Golden hour, light me up again
Spin me round and never tell me when
Hands up high and shining like the sun
Every heart is beating into one

[Bridge]
When the music fades and lights go low
Hold me like you'll never let me go

[Chorus]
Golden hour, light me up again
Spin me round and never tell me when
Hands up high and shining like the sun
Every heart is beating into one""",
        ),
        (
            "Nova and the Tides",
            "Satellite",
            """[Verse 1]
I sent a message to the moon last night
It bounced back to me as a silver light
Every star was humming out your name
I swear the sky has never looked the same

[Chorus]
Satellite, you spin around my heart
Miles away but never far apart
Send a signal when you feel alone
I will be the light to guide you home

[Verse 2]
The city sleeps but I am wide awake
I count the promises we used to make
You're on the other side of every sea
But every night you're shining down on me

[Chorus]
Satellite, you spin around my heart
Miles away but never far apart
Send a signal when you feel alone
I will be the light to guide you home

[Bridge]
Gravity can never hold us down
Baby, we are floating off the ground

[Chorus]
Satellite, you spin around my heart
Miles away but never far apart
Send a signal when you feel alone
I will be the light to guide you home""",
        ),
    ],
    "rap": [
        (
            "MC Northside",
            "Concrete Dreams",
            """[Verse 1]
Started from the corner with a notebook and a plan
Mama working doubles so I had to be a man
Every bar I write is like a brick inside the wall
Building up a castle so my people never fall
Teachers said I'm dreaming, but the dream is paying rent
Every word's a dollar and I know just where it went
Streetlights are my spotlight and the block is my stage
I was born with a story, now I'm turning the page

[Hook]
Concrete dreams, we grew up through the cracks
Never looking back, we keep moving down the tracks
From the bottom to the top and we carry the weight
Concrete dreams, now we're walking through the gate

[Verse 2]
Now the same ones doubting want a picture with the crew
I just smile and tell them that the dream came true
Every night I'm writing by the glow of the screen
Turning all the pain into a beautiful scene

[Hook]
Concrete dreams, we grew up through the cracks
Never looking back, we keep moving down the tracks
From the bottom to the top and we carry the weight
Concrete dreams, now we're walking through the gate""",
        ),
        (
            "Lil Meridian",
            "Late Night Ledger",
            """[Verse 1]
Counting every blessing like I'm counting up the rent
Every single minute, tell me where the hours went
They said I wouldn't make it, now they're asking me to speak
I was writing in the dark through the middle of the week
Coffee in the morning and the studio at night
Every page a ledger and I'm balancing it right
Moving through the city with my hoodie on my head
Living off the wisdom that my grandmother said

[Hook]
Late night ledger, writing down what I owe
Every single line is a seed that I grow
Pen on the paper till the morning comes round
Late night ledger, turning pain into sound

[Verse 2]
Landlord at the door but the verses pay the bill
Chasing every vision with a hunger and a will
Mama said be patient, every season has a turn
Now I'm lighting candles with the bridges that I burn

[Hook]
Late night ledger, writing down what I owe
Every single line is a seed that I grow
Pen on the paper till the morning comes round
Late night ledger, turning pain into sound""",
        ),
        (
            "Jaylen Frost",
            "Rooftop Sermon",
            """[Verse 1]
Up on the rooftop where the city meets the sky
Preaching to the pigeons, asking heaven why
Sirens for a choir and the traffic for a drum
Telling every youngster that the best is yet to come
Got a cousin in the system and a brother on the block
I'm just trying to be the one who never punch the clock
Every verse I'm spitting is a prayer with a beat
Every step I'm taking puts the fire in my feet

[Hook]
Rooftop sermon, can you hear me tonight
Every word I'm saying is a reach for the light
Stand up, speak up, let the whole block know
Rooftop sermon, we got further to go

[Verse 2]
They don't hand out halos where the streetlights flicker
So I made my own with a marker and a sticker
Now the little homies got a reason to believe
Showing them the future is the gift that I can leave

[Hook]
Rooftop sermon, can you hear me tonight
Every word I'm saying is a reach for the light
Stand up, speak up, let the whole block know
Rooftop sermon, we got further to go""",
        ),
    ],
    "_default": [
        (
            "June Harlow",
            "Open Road",
            """[Verse 1]
There's a light on the hill where the river bends
An old guitar and a couple of friends
We sing the songs that our fathers knew
And every word of it still rings true

[Chorus]
Open road, carry me home
I have wandered too long on my own
Through the valley and over the stone
Open road, carry me home

[Verse 2]
The diner's closing and the coffee's cold
The waitress tells me that the night is old
I leave a dollar and a word of thanks
And follow moonlight down the river banks

[Chorus]
Open road, carry me home
I have wandered too long on my own
Through the valley and over the stone
Open road, carry me home

[Bridge]
Every mile is a story told
Every heart is a place to hold

[Chorus]
Open road, carry me home
I have wandered too long on my own
Through the valley and over the stone
Open road, carry me home""",
        ),
        (
            "The Evening Post",
            "Slow Burn",
            """[Verse 1]
You move like a candle in a quiet room
Your voice is the color of a late July moon
I don't need the answers, I just need the time
To hold you in the rhythm and the rhyme

[Chorus]
Slow burn, let the evening glow
There's nowhere else we need to go
Turn the record, let it spin
Slow burn, let the night begin

[Verse 2]
The porch light flickers and the crickets sing
You wear the silver of a borrowed ring
We talk of places that we'll never see
And all the people that we used to be

[Chorus]
Slow burn, let the evening glow
There's nowhere else we need to go
Turn the record, let it spin
Slow burn, let the night begin

[Bridge]
Stay until the morning light
Stay with me another night

[Chorus]
Slow burn, let the evening glow
There's nowhere else we need to go
Turn the record, let it spin
Slow burn, let the night begin""",
        ),
    ],
}
