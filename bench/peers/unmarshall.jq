# unmarshall.jq - DynamoDB stream events to plain NDJSON with jq: jq -c -f unmarshall.jq FILE
# jq reads NDJSON, pretty and concatenated documents as they come.
# N (and NS members) stay strings: jq 1.6 keeps numbers as doubles, so `.N | tonumber`
# would round 38-digit numbers (7.591172273781483e+37). Compare with
# `ddbstream --numbers-as-strings`, which writes N as "text" too.
# The tag is found with a has() chain, most frequent types first: faster in jq 1.6 than
# to_entries (which builds an array per value).

def av:
  if has("S") then .S
  elif has("N") then .N
  elif has("M") then .M | map_values(av)
  elif has("L") then .L | map(av)
  elif has("BOOL") then .BOOL
  elif has("NULL") then null
  elif has("SS") then .SS
  elif has("NS") then .NS
  elif has("BS") then .BS
  elif has("B") then .B
  else error("not an AttributeValue") end;

# ddbstream's record line: fields in its order, each only when present and not null.
.Records[]
| .dynamodb as $d
| {eventName}
  + (if .eventID != null then {eventID} else {} end)
  + (if $d.SequenceNumber != null then {SequenceNumber: $d.SequenceNumber} else {} end)
  + (if $d.ApproximateCreationDateTime != null
     then {ApproximateCreationDateTime: $d.ApproximateCreationDateTime} else {} end)
  + (if .userIdentity != null then {userIdentity} else {} end)
  + (if $d.Keys != null then {Keys: ($d.Keys | map_values(av))} else {} end)
  + (if $d.NewImage != null then {NewImage: ($d.NewImage | map_values(av))} else {} end)
  + (if $d.OldImage != null then {OldImage: ($d.OldImage | map_values(av))} else {} end)
